/** Image actions: platform images and the caller's custom images. */
import { t } from "../schema.js";
import { ImageModel } from "../models.js";
import { defineAction, emptyResponse, imageId, limit, offset, optionalScope, projectId, region, uhostId, zone } from "./contract.js";

const tags = () => t.optional(t.array(t.string({ maxLength: 64 }), { max: 32, single: true }));

export const DescribeCompShareImages = defineAction({
  name: "DescribeCompShareImages",
  family: "images",
  summary: "List platform images (System, App, Game, Other), filtered by type, id, name, author or tag; an unknown type matches nothing.",
  idempotent: true,
  request: t.object({
    ...optionalScope,
    // A list filter: lenient, as CompShare is (the CLI sends types the docs do not list).
    ImageType: t.optional(t.string({ maxLength: 32 })),
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
  // The durations are strings in the SDK models (the docs say integers); Status and Progress are what the CompShare CLI waits on.
  response: t.object({ Process: t.float(), RemainingDuration: t.string(), TotalDuration: t.string(), Status: t.string(), Progress: t.float() }),
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

export const UpdateCompShareImage = defineAction({
  name: "UpdateCompShareImage",
  family: "images",
  summary: "Update a custom image's or a published community version's name, description, tags, price, visibility and more.",
  idempotent: true,
  request: t.object({
    ...optionalScope,
    CompShareImageId: imageId(),
    GroupId: t.optional(t.string({ maxLength: 64 })),
    Name: t.optional(t.string({ maxLength: 128 })),
    Description: t.optional(t.string({ maxLength: 4096 })),
    /** 0: private (a community version is taken down); 1: public. */
    Visibility: t.optional(t.int({ min: 0, max: 1 })),
    Price: t.optional(t.float({ min: 0, max: 10_000 })),
    Cover: t.optional(t.string({ maxLength: 700_000 })),
    Readme: t.optional(t.string({ maxLength: 100_000 })),
    Tags: tags(),
    VersionName: t.optional(t.string({ maxLength: 32 })),
    VersionDesc: t.optional(t.string({ maxLength: 1024 })),
    SupportedGpuTypes: t.optional(t.array(t.string({ maxLength: 64 }), { max: 64, single: true })),
    AutoStart: t.optional(t.bool()),
    Softwares: t.optional(t.string({ maxLength: 4096 })),
    Framework: t.optional(t.string({ maxLength: 64 })),
  }),
  response: emptyResponse,
});

export const DescribeCompShareImageTags = defineAction({
  name: "DescribeCompShareImageTags",
  family: "images",
  summary: "The image tags, by category.",
  idempotent: true,
  request: t.object(optionalScope),
  response: t.object({ Tags: t.array(t.string(), { max: 1000 }), TagsMap: t.record(t.array(t.string(), { max: 1000 })), TagIndex: t.array(t.string(), { max: 100 }) }),
});

export const ModifyCompShareImageShareAccount = defineAction({
  name: "ModifyCompShareImageShareAccount",
  family: "images",
  summary: "Share a custom image with accounts (by account number), or stop sharing it; answers the numbers that are no account.",
  idempotent: true,
  request: t.object({
    ...optionalScope,
    CompShareImageId: imageId(),
    AddAccounts: t.optional(t.array(t.int({ min: 0 }), { max: 100, single: true })),
    RemoveAccounts: t.optional(t.array(t.int({ min: 0 }), { max: 100, single: true })),
  }),
  response: t.object({ InvalidAccounts: t.array(t.int(), { max: 200 }) }),
});

export const DescribeCompShareImageShareAccounts = defineAction({
  name: "DescribeCompShareImageShareAccounts",
  family: "images",
  summary: "The accounts a custom image is shared with.",
  idempotent: true,
  request: t.object({ ...optionalScope, CompShareImageId: imageId() }),
  response: t.object({ AccountSet: t.array(t.object({ AccountId: t.string(), AccountName: t.string() }), { max: 1000 }) }),
});

export const DescribeCompShareSharingImages = defineAction({
  name: "DescribeCompShareSharingImages",
  family: "images",
  summary: "The custom images other accounts share with the caller.",
  idempotent: true,
  request: t.object({ ...optionalScope, CompShareImageId: t.optional(imageId()), Offset: offset(), Limit: limit() }),
  response: t.object({ ImageSet: t.array(ImageModel, { max: 100 }), TotalCount: t.int() }),
});
