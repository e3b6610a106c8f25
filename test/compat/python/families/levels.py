"""Account levels and disk sizes, through the official Python SDK.

Levels (CreateCompShareInstance's 配额说明): test/compat/run.ts makes three accounts with `ocs
account create`: one at Level 0 (`--level 0`: 1 instance), one at Level 1 (the default: 5
instances) and one not verified (`--unverified`). A create beyond the level's quota is
QuotaExceeded (226615), naming the level and its limit, and makes nothing; an unverified account's
create is AccountNotVerified (226606, CompShare's "The account has not been verified.").

Sizes: CreateCompShareInstance, ResizeCompShareInstance, CreateAndAttachCompshareDisk and
GetCompShareAttachedDiskUpgradePrice take the disk sizes DescribeAvailableCompShareInstanceTypes
reports (a system disk up to 1000 GB, a data disk of 10 to 1500 GB); beyond them, 230 naming the
parameter and the range.
"""
import os

from harness import CREATE, REGION, ZONE, Sdk, describe_one, equal, expect_error, settle_s, terminate_stopped, until, wait_state, when_free

from .common import inst, on

POSTPAY = {"ChargeType": "Postpay"}


def _sdk(var):
    public_key, private_key = os.environ[var].split(":", 1)
    return Sdk(public_key, private_key)


def _count(sdk):
    return sdk.typed("describe_comp_share_instance", dict(on, Limit=100))["TotalCount"]


def run(s, sdk, other):
    level0 = _sdk("OCS_COMPAT_LEVEL0_KEYS")
    level1 = _sdk("OCS_COMPAT_LEVEL1_KEYS")
    unverified = _sdk("OCS_COMPAT_UNVERIFIED_KEYS")

    def create(client, **extra):
        return client.typed("create_comp_share_instance", dict(CREATE, Region=REGION, **extra))

    def level_0():
        ids = create(level0, **POSTPAY)["UHostIds"]
        equal(len(ids), 1, "UHostIds of the Level 0 account's first instance")
        s.state["level0_instance"] = ids[0]
        expect_error(
            lambda: create(level0, **POSTPAY),
            226615,
            message="QuotaExceeded: the account is at Level 0, which allows 1 instance; it has 1, and 1 more do not fit",
        )
        equal(_count(level0), 1, "instances of the Level 0 account after the refusal")

    def level_1():
        # MaxCount is the docs' and the CLI's parameter (not in the SDK model): only the generic invoke sends it.
        many = lambda n: level1.invoke("CreateCompShareInstance", dict(CREATE, Region=REGION, MaxCount=n, **POSTPAY))
        expect_error(
            lambda: many(6),
            226615,
            message="QuotaExceeded: the account is at Level 1, which allows 5 instances; it has 0, and 6 more do not fit",
        )
        equal(_count(level1), 0, "a refused MaxCount makes none of its instances")
        equal(len(many(5)["UHostIds"]), 5, "UHostIds of MaxCount 5")
        expect_error(
            lambda: create(level1, **POSTPAY),
            226615,
            message="QuotaExceeded: the account is at Level 1, which allows 5 instances; it has 5, and 1 more do not fit",
        )
        equal(_count(level1), 5, "instances of the Level 1 account after the refusal")

    def not_verified():
        expect_error(
            lambda: create(unverified, **POSTPAY),
            226606,
            message="AccountNotVerified: The account has not been verified. Only a verified account creates instances.",
        )
        equal(_count(unverified), 0, "instances of the unverified account")
        # Everything but a create answers as for any account.
        equal(unverified.typed("describe_comp_share_instance", dict(on))["TotalCount"], 0, "Describe of the unverified account")

    def sizes():
        resp = sdk.typed("describe_available_comp_share_instance_types", {"Zone": ZONE, "MachineTypes": ["4090"]})
        disks = resp["AvailableInstanceTypes"][0]["Disks"][0]
        boot = [d for d in disks["BootDisk"] if d["Name"] == "CLOUD_SSD"][0]
        data = [d for d in disks["DataDisk"] if d["Name"] == "CLOUD_SSD"][0]
        equal((boot["MaximalSize"], data["MinimalSize"], data["MaximalSize"]), (1000, 10, 1500), "the sizes DescribeAvailableCompShareInstanceTypes reports")
        s.state["disk_sizes"] = (boot["MaximalSize"], data["MinimalSize"], data["MaximalSize"])
        system_max, data_min, data_max = s.state["disk_sizes"]

        def with_disks(boot_gb, data_gb):
            return dict(POSTPAY, Disks=[{"IsBoot": "true", "Type": "CLOUD_SSD", "Size": boot_gb}, {"IsBoot": "false", "Type": "CLOUD_SSD", "Size": data_gb}])

        before = _count(sdk)
        expect_error(lambda: create(sdk, **with_disks(system_max + 1, 100)), 230, prefix="Params [Disks.0.Size] not available: a system disk of ")
        expect_error(lambda: create(sdk, **with_disks(100, data_max + 1)), 230, message="Params [Disks.1.Size] not available: a data disk of 10 to 1500 GB")
        expect_error(lambda: create(sdk, **with_disks(100, data_min - 1)), 230, message="Params [Disks.1.Size] not available: a data disk of 10 to 1500 GB")
        equal(_count(sdk), before, "instances after the refused creates")

    def resize_sizes():
        system_max, _, data_max = s.state["disk_sizes"]
        uhost = s.state["level0_instance"]
        wait_state(level0, uhost, "Running")
        when_free(lambda: level0.typed("stop_comp_share_instance", inst(uhost)))
        h = wait_state(level0, uhost, "Stopped")
        boot_id = [d for d in h["DiskSet"] if d["IsBoot"] == "True"][0]["DiskId"]
        expect_error(lambda: level0.typed("resize_comp_share_instance", inst(uhost, DiskSpace=2000)), 230, message="Params [DiskSpace] not available: a system disk of at most 1000 GB")
        expect_error(
            lambda: level0.typed("get_comp_share_attached_disk_upgrade_price", inst(uhost, DiskId=boot_id, DiskSpace=str(system_max + 1))),
            230,
            message="Params [DiskSpace] not available: a system disk of at most 1000 GB",
        )
        expect_error(
            lambda: level0.invoke("CreateAndAttachCompshareDisk", inst(uhost, Size=data_max + 1, DiskType="SSDDataDisk", Name="too-big", ChargeType="Postpay")),
            230,
            message="Params [Size] not available: a data disk of 10 to 1500 GB",
        )
        equal([d["Size"] for d in describe_one(level0, uhost)["DiskSet"]], [d["Size"] for d in h["DiskSet"]], "the disks after the refusals")
        # Up to the MaximalSize the server reports, it grows.
        when_free(lambda: level0.typed("resize_comp_share_instance", inst(uhost, DiskSpace=system_max)))

        def grown():
            got = describe_one(level0, uhost)
            return got if got["State"] == "Stopped" and [d["Size"] for d in got["DiskSet"] if d["IsBoot"] == "True"] == [system_max] else None

        until(grown, settle_s(), "the system disk to be {} GB".format(system_max))
        terminate_stopped(level0, inst(uhost))
        until(lambda: _count(level0) == 0, settle_s(), "the Level 0 account's instance to be gone")
        # Its place is free again.
        ids = create(level0, **POSTPAY)["UHostIds"]
        wait_state(level0, ids[0], "Running")
        terminate_stopped(level0, inst(ids[0]))

    s.check("levels: a Level 0 account has 1 instance; a 2nd is QuotaExceeded (226615) naming Level 0, and nothing is made", level_0)
    s.check("levels: a Level 1 account's MaxCount 6 is QuotaExceeded (226615) naming Level 1 and its 5 instances, none made; MaxCount 5 fits, a 6th does not", level_1)
    s.check("levels: an unverified account's create is AccountNotVerified (226606); Describe answers", not_verified)
    s.check("sizes: DescribeAvailableCompShareInstanceTypes reports 1000 GB / 10-1500 GB; a create beyond them is 230 naming Disks.N.Size", sizes)
    s.check("sizes: ResizeCompShareInstance to 2000 GB, a bigger data disk, its upgrade price: 230 naming the range; up to 1000 GB it grows", resize_sizes)
