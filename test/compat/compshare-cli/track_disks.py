"""Track 3: a Day-billed VM, its billing switch and its data disks: refund, charge --to Month,
storage disk create/list/price/detach/resize/attach/delete, and delete --release-disk.
"""
from harness import (
    AT,
    REGION,
    ZONE,
    api_error,
    described,
    equal,
    expect,
    positive,
    short,
    usage_error,
)
from commands import (
    create_running,
    delete_wait,
    disk_where,
    disks,
    items,
    now,
    show,
    size_gb,
    start_wait,
    stop_wait,
)
from session import cli, s


def track_disks():
    st = s.state

    def create():
        uhost, data = create_running("cs-disks", "--charge", "Day")
        st["b"] = uhost
        h = described(data["final"][0], uhost)
        equal(h.get("ChargeType"), "Day", "ChargeType")
        expect(isinstance(h.get("ExpireTime"), int) and h["ExpireTime"] > now(), "ExpireTime of a Day instance: {!r}".format(h.get("ExpireTime")))
        st["expire"] = h["ExpireTime"]
        details = (data.get("price") or {}).get("PriceDetails") or []
        equal([d.get("ChargeType") for d in details], ["Day"], "the quoted ChargeType")
        positive(details[0].get("Instance"), "the quoted Day price")

    def refund():
        rows = items(cli.ok("instance", "refund", st["b"]), "refund")
        equal([r.get("UHostId") for r in rows], [st["b"]], "refund UHostIds")
        positive(rows[0].get("RefundPrice"), "a Day instance's RefundPrice")

    def charge():
        b = st["b"]
        data = cli.ok("instance", "charge", b, "--to", "Month", "-y")
        equal((data.get("operation") or {}).get("UHostId"), b, "operation.UHostId")
        h = show(b, "--billing")
        equal(h.get("ChargeType"), "Month", "ChargeType after charge --to Month")
        expect(isinstance(h.get("ExpireTime"), int) and h["ExpireTime"] > st["expire"], "ExpireTime should move a month out: {} then {}".format(st["expire"], h.get("ExpireTime")))

    def disk_create():
        b = st["b"]
        data = cli.ok("storage", "disk", "create", "--instance", b, "--size", "50GiB", "--name", "cs-data", "-y")
        d = data.get("UDiskId")
        expect(isinstance(d, str) and d, "data.UDiskId: {}".format(short(data)))
        st["d"] = d
        disk_where(d, lambda r: r and r.get("Status") == "InUse" and r.get("MountInstance") == b, "the disk to be InUse on {}".format(b))
        row = disks()[d]
        equal((row.get("Name"), row.get("Zone"), size_gb(row)), ("cs-data", ZONE, 50), "Name, Zone, size")
        mounted = show(b, "--disks").get("DiskSet") or []
        data_disks = [x for x in mounted if x.get("DiskId") == d]
        expect(len(data_disks) == 1 and data_disks[0].get("IsBoot") == "False" and data_disks[0].get("Size") == 50, "instance show --disks should list the data disk: {}".format(short(mounted)))

    def disk_list_instance():
        b, d = st["b"], st["d"]
        rows = disks("--instance", b)
        expect(d in rows and all(r.get("MountInstance") == b for r in rows.values()), "storage disk list --instance {}: {}".format(b, short(rows)))
        expect(d not in disks("--instance", "uhost-doesnotexist"), "--instance of another instance should not list the disk")
        expect(d in disks("--region", REGION), "storage disk list --region should list it")

    def disk_price():
        data = cli.ok("storage", "disk", "price", st["d"], "--instance", st["b"], "--size", "80GiB")
        positive(data.get("Price"), "the expansion Price")

    def detach():
        b, d = st["b"], st["d"]
        api_error(cli.run("storage", "disk", "detach", d, "--instance", b, "--device", "/dev/vdb", "-y"), 8010, "DetachCompshareDisk", "InstanceMustBeStopped")
        stop_wait(b)
        cli.ok("storage", "disk", "detach", d, "--instance", b, "--device", "/dev/vdb", "-y")
        disk_where(d, lambda r: r and r.get("Status") == "Available" and not r.get("MountInstance"), "the disk to be detached (Available)")
        expect(d not in [x.get("DiskId") for x in show(b, "--disks").get("DiskSet") or []], "instance show --disks still lists the detached disk")

    def resize_detached():
        d = st["d"]
        equal(cli.ok("storage", "disk", "resize", d, "--size", "80GiB", "-y").get("UDiskId"), d, "data.UDiskId")
        disk_where(d, lambda r: r and size_gb(r) == 80 and r.get("Status") == "Available", "the detached disk to be 80 GB")

    def attach():
        b, d = st["b"], st["d"]
        cli.ok("storage", "disk", "attach", d, "--instance", b)
        disk_where(d, lambda r: r and r.get("Status") == "InUse" and r.get("MountInstance") == b, "the disk to be attached again")
        sizes = [x.get("Size") for x in show(b, "--disks").get("DiskSet") or [] if x.get("DiskId") == d]
        equal(sizes, [80], "the attached disk's Size in instance show --disks")

    def resize_attached():
        b, d = st["b"], st["d"]
        equal(cli.ok("storage", "disk", "resize", d, "--size", "100GiB", "--instance", b, "-y").get("UDiskId"), d, "data.UDiskId")
        disk_where(d, lambda r: r and size_gb(r) == 100 and r.get("Status") == "InUse", "the attached disk to be 100 GB")

    def delete():
        b, d = st["b"], st["d"]
        cli.ok("storage", "disk", "detach", d, "--instance", b, "--device", "/dev/vdb", "-y")
        disk_where(d, lambda r: r and r.get("Status") == "Available", "the disk to be detached")
        equal(cli.ok("storage", "disk", "delete", d, "-y").get("UDiskId"), d, "data.UDiskId")
        disk_where(d, lambda r: r is None, "the disk to leave storage disk list")
        # Deleting a deleted disk succeeds (CompShare's docs). Without --region/--zone the CLI
        # first looks the disk up itself and stops there; with them, the call reaches the API.
        cli.ok("storage", "disk", "delete", d, *AT, "-y")
        usage_error(cli.run("storage", "disk", "delete", d, "-y"), "was not found")

    def start():
        b = st["b"]
        start_wait(b)
        equal(show(b, "--status").get("State"), "Running", "State after start --wait")

    def delete_release():
        b = st["b"]
        d2 = cli.ok("storage", "disk", "create", "--instance", b, "--size", "20GiB", "--name", "cs-data-2", "-y").get("UDiskId")
        expect(d2, "no UDiskId for the second disk")
        disk_where(d2, lambda r: r and r.get("MountInstance") == b, "the second disk to be attached")
        delete_wait(b, "--release-disk")
        disk_where(d2, lambda r: r is None, "--release-disk to delete the attached disk")

    s.check("instance create --charge Day --wait", create)
    s.check("instance refund of a Day instance is positive", refund, needs=["b"])
    s.check("instance charge --to Month switches a Day instance", charge, needs=["b"])
    s.check("storage disk create attaches a new disk (list, show --disks)", disk_create, needs=["b"])
    s.check("storage disk list --instance / --region", disk_list_instance, needs=["d"])
    s.check("storage disk price quotes the expansion", disk_price, needs=["d"])
    s.check("storage disk detach: refused while Running (8010), done once Stopped", detach, needs=["d"])
    s.check("storage disk resize of a detached disk", resize_detached, needs=["d"])
    s.check("storage disk attach", attach, needs=["d"])
    s.check("storage disk resize of an attached disk", resize_attached, needs=["d"])
    s.check("storage disk delete, and delete again (idempotent)", delete, needs=["d"])
    s.check("instance start --wait of the Stopped instance", start, needs=["b"])
    s.check("instance delete --release-disk --wait deletes the attached disk too", delete_release, needs=["b"])
