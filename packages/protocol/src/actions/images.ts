/** Image actions: platform images and the caller's custom images. */
import { t } from "../schema.js";
import { ImageModel, ImageTypes } from "../models.js";
import { defineAction, emptyResponse, limit, offset, optionalScope, projectId, region, uhostId, zone } from "./contract.js";

const imageId = () => t.string({ maxLength: 64 });

export const DescribeCompShareImages = defineAction({
  name: "DescribeCompShareImages",
  family: "images",
  summary: "List platform images (System and App), filtered by type, id, name or tag.",
  idempotent: true,
  request: t.object({
    ...optionalScope,
    ImageType: t.optional(t.string({ enum: ImageTypes })),
    CompShareImageId: t.optional(imageId()),
    Name: t.optional(t.string({ maxLength: 128 })),
    Tag: t.optional(t.string({ maxLength: 64 })),
    Author: t.optional(t.string({ maxLength: 64 })),
    Offset: offset(),
    Limit: limit(),
  }),
  response: t.object({ ImageSet: t.array(ImageModel, { max: 100 }), TotalCount: t.int() }),
});

export const CreateCompShareCustomImage = defineAction({
  name: "CreateCompShareCustomImage",
  family: "images",
  summary: "Make a custom image of an instance: Making, then Available. The instance counts as imaging meanwhile.",
  idempotent: false,
  request: t.object({
    Region: region(),
    Zone: zone(),
    ProjectId: projectId(),
    UHostId: uhostId(),
    Name: t.string({ maxLength: 128 }),
    Description: t.optional(t.string({ maxLength: 1024 })),
    Softwares: t.optional(
      t.object({
        Application: t.optional(t.array(t.string({ maxLength: 128 }), { max: 64 })),
        CUDAVersion: t.optional(t.string({ maxLength: 32 })),
        Framework: t.optional(t.string({ maxLength: 64 })),
        FrameworkVersion: t.optional(t.string({ maxLength: 32 })),
      }),
    ),
  }),
  response: t.object({ CompShareImageId: t.string() }),
});

export const DescribeCompShareCustomImages = defineAction({
  name: "DescribeCompShareCustomImages",
  family: "images",
  summary: "List the caller's custom images.",
  idempotent: true,
  request: t.object({
    ...optionalScope,
    CompShareImageId: t.optional(imageId()),
    Offset: offset(),
    Limit: limit(),
  }),
  response: t.object({ ImageSet: t.array(ImageModel, { max: 100 }), TotalCount: t.int() }),
});

export const GetCompShareImageCreateProgress = defineAction({
  name: "GetCompShareImageCreateProgress",
  family: "images",
  summary: "Progress of a custom image being made: Process from 0 to 100, durations in seconds as strings.",
  idempotent: true,
  request: t.object({
    ...optionalScope,
    CompShareImageId: imageId(),
  }),
  response: t.object({ Process: t.float(), RemainingDuration: t.string(), TotalDuration: t.string() }),
});

export const TerminateCompShareCustomImage = defineAction({
  name: "TerminateCompShareCustomImage",
  family: "images",
  summary: "Delete a custom image that is not being made.",
  idempotent: true,
  request: t.object({
    ...optionalScope,
    CompShareImageId: imageId(),
  }),
  response: emptyResponse,
});
