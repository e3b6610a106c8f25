"""Only images of container instances are published: the image of a fresh Ubuntu VM and that of
scenario.py's instance `a`, a VM reinstalled from an App image, are both ImageNotPublishable
(226617). Run by scenario.py while `a`'s image still exists.
"""
from harness import (
    terminate_stopped,
    CREATE,
    PYTORCH,
    ZONE,
    CheckFailed,
    describe_one,
    equal,
    expect_error,
    settle_s,
    until,
    wait_state,
    when_free,
)

from .common import on


def vm_image_not_publishable(s, sdk):
    """Only images of container instances can be published. scenario.py's instance `a` is a
    virtual machine (made from the Ubuntu image) that was reinstalled from the PyTorch (App)
    image; its custom image `image` is still a virtual machine's. And the image of a fresh
    Ubuntu VM."""

    def refuse(image):
        try:
            expect_error(
                # VersionName is required and the SDK model lacks it: through invoke.
                lambda: sdk.invoke("PublishCompShareImage", dict(on, CompShareImageId=image, Price=0, VersionName="v1.0", CommunityImageName="py-vm-{}".format(image))),
                226617,
                "ImageNotPublishable",
            )
        except CheckFailed:
            # Published after all: take the versions down, so that the image can be deleted later.
            for g in sdk.invoke("DescribeSelfCommunityImages", {"Name": "py-vm-{}".format(image)})["CompshareImageGroup"]:
                for v in g["Data"]:
                    sdk.invoke("UpdateCompShareImage", dict(on, CompShareImageId=v["CompShareImageId"], Visibility=0))
            raise

    def reinstalled():
        h = describe_one(sdk, s.state["a"])
        equal((h["InstanceType"], h["CompShareImageId"]), ("UHost", PYTORCH), "instance a: a virtual machine running the App image")
        refuse(s.state["image"])

    def fresh():
        ids = sdk.typed("create_comp_share_instance", dict(CREATE, Name="py-vm-image", ChargeType="Postpay"))["UHostIds"]
        vm = ids[0]
        try:
            wait_state(sdk, vm, "Running")
            image = sdk.typed("create_comp_share_custom_image", dict(on, UHostId=vm, Name="py-vm-image"))["CompShareImageId"]

            def available():
                got = sdk.typed("describe_comp_share_custom_images", {"Zone": ZONE, "CompShareImageId": image})["ImageSet"]
                return got and got[0]["Status"] == "Available"

            until(available, settle_s(), "the VM's image to be Available")
            equal(sdk.raw["ImageSet"][0]["Container"], "False", "Container of a VM's image")
            refuse(image)
            sdk.typed("terminate_comp_share_custom_image", {"Zone": ZONE, "CompShareImageId": image})
        finally:
            terminate_stopped(sdk, dict(on, UHostId=vm))

    s.check("PublishCompShareImage of a fresh Ubuntu VM's image: ImageNotPublishable (226617)", fresh)
    s.check("PublishCompShareImage of the image of a VM reinstalled from an App image: ImageNotPublishable (226617)", reinstalled, needs=["image"])
