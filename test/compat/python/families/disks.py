"""Data disks, on the Postpay billing instance: CreateAndAttachCompshareDisk (with the operation
record, the console output and the policy view of the instance), DescribeCompshareDisk, the
upgrade price of a data and a system disk, the errors while the instance runs, and the lifecycle
of resize, detach, attach and delete; then the billing instances are terminated.
"""
from harness import (
    REGION,
    ZONE,
    describe_one,
    equal,
    expect,
    expect_error,
    settle_s,
    until,
    wait_state,
    when_free,
)

from .common import NOT_FOUND, inst, is_int, is_num, on, terminate_on


def run(s, sdk, other):
    terminate = terminate_on(sdk)

    def disk_of(disk_id, client=None):
        got = (client or sdk).invoke("DescribeCompshareDisk", {"UDiskId": disk_id})["DiskSet"]
        return got[0] if got else None

    def wait_disk(disk_id, status, size=None):
        def probe():
            d = disk_of(disk_id)
            return d if d and d["Status"] == status and (size is None or d["Size"] == size) else None

        return until(probe, settle_s(), "disk {} to be {}{}".format(disk_id, status, "" if size is None else " with {} GB".format(size)))

    def disk_create():
        postpay = s.state["postpay"]
        req = inst(postpay, Size=20, DiskType="SSDDataDisk", Name="py-data", ChargeType="Postpay")
        expect_error(lambda: sdk.invoke("CreateAndAttachCompshareDisk", dict(req, DiskType="NoSuchDisk")), 230, prefix="Params [DiskType] not available")
        expect_error(lambda: sdk.invoke("CreateAndAttachCompshareDisk", dict(req, UHostId=NOT_FOUND)), 8039, "InstanceNotFound")
        resp = when_free(lambda: sdk.invoke("CreateAndAttachCompshareDisk", req))
        disk = resp["UDiskId"]
        expect(disk.startswith("bsi-"), "UDiskId {!r}".format(disk))
        s.state["disk"] = disk
        wait_disk(disk, "InUse")
        h = describe_one(sdk, postpay)
        data = [d for d in h["DiskSet"] if d["DiskId"] == disk]
        expect(data, "the new disk is not in the DiskSet: {}".format(h["DiskSet"]))
        equal((data[0]["IsBoot"], data[0]["Size"], data[0]["Type"], data[0]["DiskType"]), ("False", 20, "Data", "CLOUD_SSD"), "the data disk in DiskSet")
        s.state["boot"] = [d for d in h["DiskSet"] if d["IsBoot"] == "True"][0]["DiskId"]
        ops = sdk.invoke("DescribeCompShareInstanceOperations", {"UHostId": postpay, "Limit": 10})["OperationSet"]
        actions = [(o["Action"], o["Status"]) for o in ops]
        expect(("CreateAndAttachCompshareDisk", "Succeeded") in actions, "operation records of the instance: {}".format(actions))
        out = sdk.invoke("GetCompShareInstanceConsoleOutput", {"UHostId": postpay, "Length": 4096})
        equal(out["UHostId"], postpay, "UHostId of the console output")
        expect("ocs-boot-id: " in out["Output"] and len(out["Output"]) <= 4096 and is_int(out["Timestamp"]), "the console shows a boot id: {!r}".format(out["Output"][-300:]))
        expect_error(lambda: other.invoke("GetCompShareInstanceConsoleOutput", {"UHostId": postpay}), 8039, "InstanceNotFound")
        pol = sdk.invoke("DescribeCompShareInstancePolicy", {"UHostId": postpay})
        equal((pol["UHostId"], pol["ChargeType"], pol["UnpaidAmount"]), (postpay, "Postpay", 0), "the policy view of a pay-as-you-go instance")
        expect(pol["Balance"] > 0 and pol["Timeline"] in ("", "stopped") and is_int(pol["NextStepTime"]), "balance and timeline: {}".format(pol))
        expect_error(lambda: other.invoke("DescribeCompShareInstancePolicy", {"UHostId": postpay}), 8039, "InstanceNotFound")

    def disk_describe():
        postpay, disk = s.state["postpay"], s.state["disk"]
        resp = sdk.invoke("DescribeCompshareDisk", {"HostId": postpay})
        equal(resp["TotalCount"], 1, "TotalCount of the instance's disks")
        d = resp["DiskSet"][0]
        want = {"ResourceId": disk, "UDiskId": disk, "MountInstance": postpay, "Zone": ZONE, "Region": REGION, "Status": "InUse", "Configuration": "20GB", "Size": 20, "Name": "py-data", "ChargeType": "Postpay"}
        equal({k: d[k] for k in want}, want, "the disk")
        expect(d["Device"].startswith("/dev/vd") and is_int(d["CreateTime"]), "Device and CreateTime: {}".format(d))
        equal(sdk.invoke("DescribeCompshareDisk", {"UDiskId": "bsi-doesnotexist"})["TotalCount"], 0, "an unknown disk")
        equal(other.invoke("DescribeCompshareDisk", {"UDiskId": disk})["TotalCount"], 0, "another account's view of the disk")

    def disk_upgrade_price():
        postpay, disk, boot = s.state["postpay"], s.state["disk"], s.state["boot"]
        resp = sdk.typed("get_comp_share_attached_disk_upgrade_price", inst(postpay, DiskId=disk, DiskSpace="40"))
        expect(is_num(resp["Price"]) and resp["Price"] > 0, "Price {}".format(resp))
        equal(resp["PriceDetail"]["UDisk"], resp["Price"], "PriceDetail.UDisk")
        equal(resp["ListPriceDetail"]["UDisk"], resp["ListPrice"], "ListPriceDetail.UDisk")
        equal(resp["OriginalPriceDetail"]["Snapshot"], 0, "Snapshot")
        big = sdk.typed("get_comp_share_attached_disk_upgrade_price", inst(postpay, DiskId=disk, DiskSpace="80"))
        expect(big["Price"] > resp["Price"], "more GB cost more: {} vs {}".format(big["Price"], resp["Price"]))
        sysdisk = sdk.typed("get_comp_share_attached_disk_upgrade_price", inst(postpay, DiskId=boot, DiskSpace="300"))
        expect(sysdisk["Price"] > 0, "the system disk beyond its free size: {}".format(sysdisk))
        expect_error(lambda: sdk.typed("get_comp_share_attached_disk_upgrade_price", inst(postpay, DiskId="bsi-doesnotexist", DiskSpace="40")), 226616, "DiskNotFound")
        expect_error(lambda: sdk.typed("get_comp_share_attached_disk_upgrade_price", inst(postpay, DiskId=disk, DiskSpace="10")), 230, prefix="Params [DiskSpace] not available")

    def disk_running_errors():
        postpay, disk = s.state["postpay"], s.state["disk"]
        expect_error(lambda: sdk.typed("detach_compshare_disk", inst(postpay, UDiskId=disk)), 8010, "InstanceMustBeStopped")
        expect_error(lambda: sdk.typed("resize_comp_share_disk", dict(on, UDiskId=disk, Size=30)), 8010, "InstanceMustBeStopped")
        expect_error(lambda: sdk.typed("delete_compshare_disk", dict(on, UDiskId=disk, OrganizationID=0, TopOrganizationID=0)), 8434, "DiskNotAvailable")
        expect_error(lambda: sdk.typed("detach_compshare_disk", inst(postpay, UDiskId="bsi-doesnotexist")), 226616, "DiskNotFound")
        expect_error(lambda: other.typed("delete_compshare_disk", dict(on, UDiskId=disk, OrganizationID=0, TopOrganizationID=0)), 226616, "DiskNotFound")

    def disk_lifecycle():
        postpay, disk = s.state["postpay"], s.state["disk"]
        when_free(lambda: sdk.typed("stop_comp_share_instance", inst(postpay)))
        wait_state(sdk, postpay, "Stopped")
        # Attached: a background task of the Stopped instance.
        equal(when_free(lambda: sdk.typed("resize_comp_share_disk", dict(on, UDiskId=disk, Size=30)))["UDiskId"], disk, "UDiskId")
        wait_disk(disk, "InUse", 30)
        expect_error(lambda: sdk.typed("resize_comp_share_disk", dict(on, UDiskId=disk, Size=25)), 230, prefix="Params [Size] not available")
        when_free(lambda: sdk.typed("detach_compshare_disk", inst(postpay, UDiskId=disk)))
        d = wait_disk(disk, "Available")
        equal(d["MountInstance"], "", "MountInstance of a detached disk")
        expect(disk not in [x["DiskId"] for x in describe_one(sdk, postpay)["DiskSet"]], "the detached disk left the DiskSet")
        # Detached: resized at once.
        equal(sdk.typed("resize_comp_share_disk", dict(on, UDiskId=disk, Size=40))["UDiskId"], disk, "UDiskId")
        equal(disk_of(disk)["Size"], 40, "Size of the detached disk after the resize")
        when_free(lambda: sdk.typed("attach_compshare_disk", inst(postpay, UDiskId=disk)))
        d = wait_disk(disk, "InUse")
        equal(d["MountInstance"], postpay, "MountInstance after AttachCompshareDisk")
        expect_error(lambda: sdk.typed("attach_compshare_disk", inst(postpay, UDiskId=disk)), 8434, "DiskNotAvailable")
        when_free(lambda: sdk.typed("detach_compshare_disk", inst(postpay, UDiskId=disk)))
        wait_disk(disk, "Available")
        # OrganizationID and TopOrganizationID are required by the SDK model; the server ignores them.
        equal(sdk.typed("delete_compshare_disk", dict(on, UDiskId=disk, OrganizationID=0, TopOrganizationID=0))["UDiskId"], disk, "UDiskId")
        expect(disk_of(disk) is None, "a deleted disk left DescribeCompshareDisk")
        equal(sdk.typed("delete_compshare_disk", dict(on, UDiskId=disk, OrganizationID=0, TopOrganizationID=0))["UDiskId"], disk, "deleting it again succeeds")
        expect_error(lambda: sdk.typed("resize_comp_share_disk", dict(on, UDiskId=disk, Size=50)), 226616, "DiskNotFound")
        expect_error(lambda: sdk.typed("attach_compshare_disk", inst(postpay, UDiskId=disk)), 226616, "DiskNotFound")

    s.check("CreateAndAttachCompshareDisk (invoke): a bsi- disk in the DiskSet; errors; operation record", disk_create, needs=["postpay"])
    s.check("DescribeCompshareDisk (invoke): the CLI's inventory fields", disk_describe, needs=["disk"])
    s.check("GetCompShareAttachedDiskUpgradePrice: data and system disk; DiskNotFound (226616); shrinking is 230", disk_upgrade_price, needs=["disk", "boot"])
    s.check("Disks on a Running instance: Detach/Resize need it Stopped (8010), Delete an attached disk 8434", disk_running_errors, needs=["disk"])
    s.check("ResizeCompShareDisk attached and detached, Detach, Attach, DeleteCompshareDisk (twice)", disk_lifecycle, needs=["disk"])

    def billing_cleanup():
        terminate(s.state["day"])
        terminate(s.state["postpay"])

    s.check("Terminate the billing instances", billing_cleanup, needs=["day", "postpay"])
