"""Custom images and the review of community versions, through the official SDK: an image is made
only of a Running instance (8905 when Stopped); an image still being made is not deleted
(ImageNotReady, 226621); PublishCompShareImage needs VersionName (220) in the format v*.* (230);
a published version is Reviewing until the operator's `ocs image review`: rejected, its owner
sees the reason as FailedReason and nobody else sees or boots it; approved, another account boots
it, and that account's image of it cannot be published again (226617, naming the version).
"""
import os

from harness import (
    CREATE,
    PYTORCH,
    ZONE,
    equal,
    expect,
    expect_error,
    operator_review,
    settle_s,
    until,
    wait_state,
    when_free,
)

from .common import create_on, inst, on, terminate_on


def run(s, sdk, other):
    create = create_on(sdk)
    terminate = terminate_on(sdk)
    name = "py-review-{}".format(os.getpid())

    def available(client, image):
        def probe():
            got = client.typed("describe_comp_share_custom_images", {"Zone": ZONE, "CompShareImageId": image})["ImageSet"]
            return got and got[0]["Status"] == "Available"

        until(probe, settle_s(), "image {} to be Available".format(image))

    def make(client, uhost_id, image_name):
        return when_free(lambda: client.typed("create_comp_share_custom_image", dict(on, UHostId=uhost_id, Name=image_name)))["CompShareImageId"]

    def stopped_instance():
        vm = create("py-review-stopped", ChargeType="Postpay")
        try:
            when_free(lambda: sdk.typed("stop_comp_share_instance", inst(vm)))
            wait_state(sdk, vm, "Stopped")
            before = sdk.typed("describe_comp_share_custom_images", {"Zone": ZONE})["TotalCount"]
            expect_error(lambda: sdk.typed("create_comp_share_custom_image", dict(on, UHostId=vm, Name="py-of-stopped")), 8905, "InstanceStateInvalid")
            equal(sdk.typed("describe_comp_share_custom_images", {"Zone": ZONE})["TotalCount"], before, "custom images after the refusal")
        finally:
            terminate(vm)

    def making():
        box = create("py-review-box", CompShareImageId=PYTORCH, ChargeType="Postpay")
        s.state["review-box"] = box
        image = make(sdk, box, "py-review-image")
        e = expect_error(lambda: sdk.typed("terminate_comp_share_custom_image", {"Zone": ZONE, "CompShareImageId": image}), 226621, "ImageNotReady")
        expect(image in e.message, "the message names the image: {}".format(e.message))
        available(sdk, image)
        s.state["review-image"] = image

    def version_name():
        image = s.state["review-image"]
        base = dict(on, CompShareImageId=image, Price=0, CommunityImageName=name)
        expect_error(lambda: sdk.typed("publish_comp_share_image", {"Zone": ZONE, "CompShareImageId": image, "Price": 0}), 220, message="Missing params [VersionName]")
        expect_error(lambda: sdk.invoke("PublishCompShareImage", base), 220, message="Missing params [VersionName]")
        for bad in ("1.0", "v1", "v1.0.0", "version-1"):
            expect_error(lambda: sdk.invoke("PublishCompShareImage", dict(base, VersionName=bad)), 230, prefix="Params [VersionName] not available")
        # Name is the docs' filter (not in the SDK model of this action): through invoke.
        equal(sdk.invoke("DescribeSelfCommunityImages", {"Name": name})["TotalCount"], 0, "nothing published by the refusals")

    def versions():
        """The versions of the suite's group, through the typed method (GroupId is in its model)."""
        groups = sdk.typed("describe_self_community_images", {"Zone": ZONE, "GroupId": s.state["review-group"]})["ImageSetGroup"]
        equal(len(groups), 1, "groups of GroupId {}".format(s.state["review-group"]))
        return groups[0]["Data"]

    def rejected():
        image = s.state["review-image"]
        sdk.invoke("PublishCompShareImage", dict(on, CompShareImageId=image, Price=0, CommunityImageName=name, VersionName="v1.0"))
        groups = sdk.invoke("DescribeSelfCommunityImages", {"Name": name})["CompshareImageGroup"]
        equal(len(groups), 1, "groups named {}".format(name))
        s.state["review-group"] = groups[0]["GroupId"]
        v = versions()[0]
        equal((v["VersionName"], v["Status"], v["FailedReason"]), ("v1.0", "Reviewing", ""), "the version before the review")
        done = operator_review(v["CompShareImageId"], approve=False, reason="the README is empty")
        equal(done["Status"], "Rejected", "ocs image review --reject")
        v = versions()[0]
        equal((v["Status"], v["FailedReason"]), ("Rejected", "the README is empty"), "Status and FailedReason of the rejected version (typed)")
        equal(other.typed("describe_community_images", {"Zone": ZONE, "Name": name})["TotalCount"], 0, "the rejected version for another account")
        boot = dict(CREATE, CompShareImageId=v["CompShareImageId"], ChargeType="Postpay", Name="py-review-refused")
        expect_error(lambda: other.typed("create_comp_share_instance", boot), 226614, "ImageNotFound")
        s.state["review-rejected"] = v["CompShareImageId"]

    def approved_and_derived():
        image, group = s.state["review-image"], s.state["review-group"]
        sdk.invoke("PublishCompShareImage", dict(on, CompShareImageId=image, Price=0, GroupId=group, VersionName="v1.1"))
        v = [x for x in versions() if x["VersionName"] == "v1.1"][0]
        equal(v["Status"], "Reviewing", "the second version before the review")
        # GroupId is the docs' filter of DescribeCommunityImages (not in the SDK model): through invoke.
        equal(other.invoke("DescribeCommunityImages", {"GroupId": group})["TotalCount"], 0, "a version in review, and a rejected one, for another account")
        operator_review(v["CompShareImageId"])
        version = v["CompShareImageId"]
        s.state["review-version"] = version
        seen = other.invoke("DescribeCommunityImages", {"GroupId": group})
        equal([x["CompShareImageId"] for x in seen["ImageSet"]], [version], "another account sees only the approved version")
        # Another account boots it and images its instance: that image is derived, not publishable.
        theirs = create_on(other)("py-review-theirs", CompShareImageId=version, ChargeType="Postpay")
        try:
            derived = make(other, theirs, "py-review-derived")
            available(other, derived)
            e = expect_error(
                lambda: other.invoke("PublishCompShareImage", dict(on, CompShareImageId=derived, Price=0, CommunityImageName=name + "-copy", VersionName="v1.0")),
                226617,
                "ImageNotPublishable",
            )
            expect(version in e.message, "the refusal names the source version {}: {}".format(version, e.message))
            equal(other.invoke("DescribeSelfCommunityImages", {"Name": name + "-copy"})["TotalCount"], 0, "nothing published by the other account")
            other.typed("terminate_comp_share_custom_image", {"Zone": ZONE, "CompShareImageId": derived})
        finally:
            terminate_on(other)(theirs)

    def cleanup():
        if s.state.get("review-version"):
            sdk.typed("update_comp_share_image", {"Zone": ZONE, "CompShareImageId": s.state["review-version"], "Visibility": 0})
        if s.state.get("review-image"):
            sdk.typed("terminate_comp_share_custom_image", {"Zone": ZONE, "CompShareImageId": s.state["review-image"]})
        terminate(s.state["review-box"])

    s.check("CreateCompShareCustomImage of a Stopped instance: InstanceStateInvalid (8905), no image", stopped_instance)
    s.check("TerminateCompShareCustomImage while Making: ImageNotReady (226621)", making)
    s.check("PublishCompShareImage without VersionName: 220 (typed and invoke); malformed: 230", version_name, needs=["review-image"])
    s.check("A rejected version: Status Rejected and FailedReason for its owner; unseen and unbootable for others", rejected, needs=["review-image"])
    s.check("An approved version: another account boots it; its image of it is ImageNotPublishable (226617)", approved_and_derived, needs=["review-image", "review-group"])
    s.check("Review cleanup: the version taken down, the image deleted, the instance terminated", cleanup, needs=["review-box"])

