/** Community images: versions published from custom images, grouped, listed, favorited. */
import { t } from "../schema.js";
import { ImageGroupModel, ImageModel } from "../models.js";
import { defineAction, emptyResponse, imageId, limit, offset, optionalScope } from "./contract.js";

/** A community version's name, as the guide has it: v*.* (v1.0). */
const VERSION_NAME = /^v\d{1,6}\.\d{1,6}$/;

const tags = () => t.optional(t.array(t.string({ maxLength: 64 }), { max: 32, single: true }));

/** The filters of DescribeCommunityImages, which the self and user listings take too. */
const filters = {
  ...optionalScope,
  CompShareImageId: t.optional(imageId()),
  GroupId: t.optional(t.string({ maxLength: 64 })),
  Name: t.optional(t.string({ maxLength: 128 })),
  Author: t.optional(t.string({ maxLength: 64 })),
  FuzzySearch: t.optional(t.string({ maxLength: 128 })),
  Tag: tags(),
  IsFree: t.optional(t.bool()),
  IsOfficial: t.optional(t.bool()),
  IfAutoStart: t.optional(t.bool()),
  SortCondition: t.optional(t.object({ Field: t.optional(t.string({ maxLength: 32 })), ASC: t.optional(t.bool()) })),
  Offset: offset(),
  Limit: limit(),
};

/** Groups as the docs name them (CompshareImageGroup) and the SDK models (ImageSetGroup), and the versions flat (ImageSet). */
const listing = t.object({
  TotalCount: t.int(),
  AvailableTotalCount: t.int(),
  CompshareImageGroup: t.array(ImageGroupModel, { max: 100 }),
  ImageSetGroup: t.array(ImageGroupModel, { max: 100 }),
  ImageSet: t.array(ImageModel, { max: 10_000 }),
});

export const PublishCompShareImage = defineAction({
  name: "PublishCompShareImage",
  family: "community",
  summary: "Publish an Available custom image of a container instance to the community, as a new group or a new version of one; the version waits for review (Reviewing).",
  idempotent: false,
  request: t.object({
    ...optionalScope,
    CompShareImageId: imageId(),
    GroupId: t.optional(t.string({ maxLength: 64 })),
    CommunityImageName: t.optional(t.string({ maxLength: 128 })),
    /**
     * Required, in the documented format v*.* (v1.0, v2.13): the docs and the guide. The SDK
     * models lack it: their typed methods cannot send it, so they are answered 220.
     */
    VersionName: t.string({ maxLength: 32, pattern: VERSION_NAME, rule: "a version such as v1.0: v, a number, a dot, a number" }),
    VersionDesc: t.optional(t.string({ maxLength: 1024 })),
    Price: t.optional(t.float({ min: 0, max: 10_000 })),
    Cover: t.optional(t.string({ maxLength: 700_000 })),
    Tags: tags(),
    Description: t.optional(t.string({ maxLength: 4096 })),
    Readme: t.optional(t.string({ maxLength: 100_000 })),
    SupportedGpuTypes: t.optional(t.array(t.string({ maxLength: 64 }), { max: 64, single: true })),
    AutoStart: t.optional(t.bool()),
    Softwares: t.optional(
      t.object({
        Applications: t.optional(t.array(t.string({ maxLength: 128 }), { max: 64 })),
        CUDAVersion: t.optional(t.string({ maxLength: 32 })),
        Framework: t.optional(t.string({ maxLength: 64 })),
        FrameworkVersion: t.optional(t.string({ maxLength: 32 })),
      }),
    ),
  }),
  response: emptyResponse,
});

export const DescribeCommunityImages = defineAction({
  name: "DescribeCommunityImages",
  family: "community",
  summary: "The community's public versions, grouped, filtered and sorted; Offset and Limit count groups.",
  idempotent: true,
  request: t.object(filters),
  response: listing,
});

export const DescribeSelfCommunityImages = defineAction({
  name: "DescribeSelfCommunityImages",
  family: "community",
  summary: "The caller's published versions in every status (Reviewing, Available, Rejected with its FailedReason, Offline).",
  idempotent: true,
  request: t.object(filters),
  response: listing,
});

export const DescribeUserCommunityImages = defineAction({
  name: "DescribeUserCommunityImages",
  family: "community",
  summary: "One account's public versions (TargetTopOrganizationId is its account number).",
  idempotent: true,
  request: t.object({ ...filters, TargetTopOrganizationId: t.optional(t.int({ min: 0 })) }),
  response: listing,
});

export const CreateCompShareImageFavorite = defineAction({
  name: "CreateCompShareImageFavorite",
  family: "community",
  summary: "Add a community image group to the caller's favorites (the CompShare CLI's favorites).",
  idempotent: true,
  request: t.object({ ...optionalScope, GroupId: t.string({ maxLength: 64 }) }),
  response: emptyResponse,
});

export const DeleteCompShareImageFavorite = defineAction({
  name: "DeleteCompShareImageFavorite",
  family: "community",
  summary: "Remove a community image group from the caller's favorites.",
  idempotent: true,
  request: t.object({ ...optionalScope, GroupId: t.string({ maxLength: 64 }) }),
  response: emptyResponse,
});
