"""The official CompShare CLI (compshare-cli 0.5.6, unmodified) against our server.

Every command that needs no SSH connection runs with `--json`, and each check asserts what the
answer proves (the instance reached Running, the new name shows, the price is positive, the
disk shows up attached and then detached…), the CLI's JSON envelope and its exit code.

Four tracks run at once, each with its own instances, all as one account (a second account, the
peer, receives a shared image):
  catalog    read-only commands, create --dry-run / --max-price / --max-count, error paths;
  lifecycle  one VM: list/show, reboot/stop/start/wait, rename, password, ssh --print, schedule,
             refund, monitor, charge refusal, resize-price, resize, reinstall, delete;
  disks      one Day-billed VM: charge --to Month, storage disk create/list/price/detach/resize/
             attach/delete, delete --release-disk;
  images     one container instance: ports update, image create/progress/update/share/shares/
             unshare/publish/favorite/unfavorite/delete, every image list source.

Started by test/compat/run.ts with the server's address, the keys and account numbers in the
environment (see harness.Env).
"""
import os
import time

from harness import (
    AT,
    CREATE,
    PYTORCH,
    REGION,
    UBUNTU,
    WAIT_TIMEOUT,
    ZONE,
    CheckFailed,
    Cli,
    Env,
    Suite,
    api_error,
    batch_failure,
    batch_ok,
    described,
    equal,
    expect,
    final_host,
    ok,
    positive,
    remove_home,
    settle_s,
    short,
    temp_home,
    until,
    usage_error,
)

s = Suite("compshare-cli")
RUN = os.urandom(3).hex()  # names what this run publishes, as the community list is shared
HOME = temp_home()
cli = Cli(Env.public_key, Env.private_key, HOME + "/self")
peer = Cli(Env.peer_public_key, Env.peer_private_key, HOME + "/peer")


# ---------------------------------------------------------------------------------------------
# Helpers built on CLI commands.


def items(data, what):
    rows = data.get("items")
    expect(isinstance(rows, list), "{}: data.items should be a list: {}".format(what, short(data)))
    return rows


def listed(*args, who=None):
    """`instance list --all …`: the items, by UHostId."""
    data = (who or cli).ok("instance", "list", "--all", *args)
    return {h.get("UHostId"): h for h in items(data, "instance list")}


def show(instance, *flags):
    data = cli.ok("instance", "show", instance, *flags)
    hosts = data.get("UHostSet") or []
    expect(len(hosts) == 1 and hosts[0].get("UHostId") == instance, "instance show {} should describe it: {}".format(instance, short(data)))
    return hosts[0]


def create_running(name, *extra):
    """`instance create … --wait`; returns (UHostId, the whole data)."""
    data = cli.ok(*CREATE, "--name", name, "--wait", *WAIT_TIMEOUT, *extra)
    ids = (data.get("instance") or {}).get("UHostIds")
    expect(isinstance(ids, list) and len(ids) == 1, "data.instance.UHostIds: {}".format(short(data.get("instance"))))
    finals = data.get("final") or []
    equal(len(finals), 1, "number of final answers")
    host = described(finals[0], ids[0])
    equal(host.get("State"), "Running", "State after create --wait")
    equal(host.get("Name"), name, "Name")
    return ids[0], data


def stop_wait(instance):
    entry = batch_ok(cli.ok("instance", "stop", instance, "-y", "--wait", *WAIT_TIMEOUT), instance, "StopCompShareInstance")
    equal(final_host(entry, instance).get("State"), "Stopped", "State after stop --wait")


def start_wait(instance):
    entry = batch_ok(cli.ok("instance", "start", instance, "--wait", *WAIT_TIMEOUT), instance, "StartCompShareInstance")
    equal(final_host(entry, instance).get("State"), "Running", "State after start --wait")


def delete_wait(instance, *extra):
    """`instance delete -y --wait`, then the instance must leave `instance list`."""
    data = cli.ok("instance", "delete", instance, "-y", "--wait", *WAIT_TIMEOUT, *extra)
    entry = batch_ok(data, instance, "TerminateCompShareInstance")
    equal((entry.get("operation") or {}).get("UHostId"), instance, "operation.UHostId")
    until(lambda: instance not in listed("--id", instance), settle_s(), "{} to leave instance list".format(instance), 0.5)


def disks(*args, who=None):
    data = (who or cli).ok("storage", "disk", "list", *args)
    return {d.get("ResourceId"): d for d in items(data, "storage disk list")}


def disk_where(disk, pred, what, *args):
    """Polls `storage disk list` until the disk's row satisfies pred (None: the disk is absent)."""
    seen = []

    def probe():
        row = disks(*args).get(disk)
        seen.append(None if row is None else {k: row.get(k) for k in ("Status", "MountInstance", "Configuration")})
        return pred(row)

    try:
        until(probe, settle_s(), what, 0.3)
    except CheckFailed as e:
        raise CheckFailed("{} (last seen: {})".format(e, seen[-1] if seen else None))


def size_gb(row):
    digits = "".join(c for c in str(row.get("Configuration") or "") if c.isdigit())
    return int(digits) if digits else None


def image_items(*args, who=None):
    data = (who or cli).ok("image", "list", "--all", *args)
    return {i.get("CompShareImageId"): i for i in items(data, "image list")}


def now():
    return int(time.time())


# =============================================================================================
# Track 1: catalog — read-only commands, planning without creating, error paths.


def track_catalog():
    def zones():
        doc = cli.ok_doc("instance", "zones")
        rows = items(doc["data"], "zones")
        expect({"Region": REGION, "Zone": ZONE} in [{"Region": z.get("Region"), "Zone": z.get("Zone")} for z in rows], "{}/{} missing: {}".format(REGION, ZONE, short(rows)))
        for z in rows:
            expect(z.get("Region") and z.get("Zone") and z.get("Describe"), "a zone without Region/Zone/Describe: {}".format(z))
        equal((doc["meta"].get("action"), doc["meta"].get("ret_code"), doc["meta"].get("returned")), ("DescribeCompShareSupportZoneResponse", 0, len(rows)), "meta")
        only = items(cli.ok("instance", "zones", "--region", REGION), "zones --region")
        expect(only and all(z.get("Region") == REGION for z in only), "zones --region {}: {}".format(REGION, short(only)))

    def families():
        rows = items(cli.ok("instance", "families"), "families")
        expect(all(isinstance(f.get("Name"), str) and f["Name"] and isinstance(f.get("Description"), str) for f in rows), "families need Name and Description: {}".format(short(rows)))
        expect("4090" in [f["Name"] for f in rows], "4090 missing from the families: {}".format(short(rows)))

    def search():
        data = cli.ok("instance", "search", *AT)
        machines = {m.get("Name"): m for m in data.get("AvailableInstanceTypes") or []}
        expect("4090" in machines, "4090 missing from AvailableInstanceTypes: {}".format(sorted(machines)))
        m = machines["4090"]
        equal(m.get("Zone"), ZONE, "the 4090's Zone")
        positive((m.get("GraphicsMemory") or {}).get("Value"), "GraphicsMemory.Value")
        specs = [(size.get("Gpu"), c.get("Cpu"), mem) for size in m.get("MachineSizes") or [] for c in size.get("Collection") or [] for mem in c.get("Memory") or []]
        expect((1, 16, 64) in specs, "the spec 1 GPU / 16 CPU / 64 GiB is missing: {}".format(specs[:10]))
        expect(all(all(isinstance(v, int) and not isinstance(v, bool) for v in spec) for spec in specs), "Gpu, Cpu and Memory must be integers: {}".format(specs[:10]))

    def search_gpu():
        data = cli.ok("instance", "search", *AT, "--gpu", "4090")
        names = [m.get("Name") for m in data.get("AvailableInstanceTypes") or []]
        expect(names and all(n == "4090" for n in names), "search --gpu 4090 answered {}".format(names))

    def search_stock():
        data = cli.ok("instance", "search", *AT, "--gpu", "4090", "--image", UBUNTU, "--available")
        inventory = (data.get("Inventory") or {}).get("4090")
        expect(isinstance(inventory, list) and inventory, "data.Inventory['4090'] should list the specs: {}".format(short(data.get("Inventory"))))
        expect({"Gpu": 1, "Cpu": 16, "Mem": 64, "ResourceEnough": True} in [{k: i.get(k) for k in ("Gpu", "Cpu", "Mem", "ResourceEnough")} for i in inventory],
               "1/16/64 should be in stock: {}".format(short(inventory)))
        usage_error(cli.run("instance", "search", *AT, "--available"), "--available requires --image")

    def price():
        rows = items(cli.ok("instance", "price", "--gpu", "4090", "--count", "1", "--cpu", "16", "--memory", "64GiB", *AT), "price")
        by = {r.get("ChargeType"): r for r in rows}
        for charge in ("Postpay", "Day", "Month"):
            expect(charge in by, "price should quote {}: {}".format(charge, short(rows)))
            positive(by[charge].get("Instance"), "{} Instance price".format(charge))
        expect(by["Day"]["Instance"] > by["Postpay"]["Instance"], "a day should cost more than an hour: {}".format(short(rows)))
        one = items(cli.ok("instance", "price", "--gpu", "4090", "--cpu", "16", "--memory", "64GiB", "--charge", "Day", "--disk", "200GiB", "--image", PYTORCH, *AT), "price --charge Day")
        equal([r.get("ChargeType") for r in one], ["Day"], "ChargeTypes quoted for --charge Day")
        positive(one[0].get("Instance"), "Day Instance price")

    def billing():
        rows = items(cli.ok("instance", "billing", "--gpu", "4090", "--cpu", "16", "--memory", "64GiB", *AT), "billing")
        by = {r.get("ChargeType"): r for r in rows}
        expect("Postpay" in by, "billing should quote Postpay: {}".format(short(rows)))
        positive(by["Postpay"].get("Instance"), "Postpay Instance price")

    def network():
        data = cli.ok("instance", "network")
        expect(isinstance(data.get("Optimized"), bool), "Optimized should be a bool: {}".format(short(data)))
        expect(REGION in [i.get("Region") for i in data.get("Info") or []], "Info should list {}: {}".format(REGION, short(data)))
        zoned = cli.ok("instance", "network", *AT)
        expect(isinstance(zoned.get("Optimized"), bool), "network --region --zone: {}".format(short(zoned)))

    def models():
        rows = items(cli.ok("instance", "models", "--region", REGION), "models")
        expect(rows and all(r.get("Name") and r.get("Path") for r in rows), "models need Name and Path: {}".format(short(rows)))
        qwen = items(cli.ok("instance", "models", "--region", REGION, "--name", "Qwen"), "models --name")
        expect(qwen and all("qwen" in r["Name"].casefold() for r in qwen) and len(qwen) < len(rows), "models --name Qwen: {}".format(short(qwen)))

    def ports_and_software():
        for cmd in (("instance", "ports", "list"), ("instance", "software", "list")):
            rows = items(cli.ok(*cmd), " ".join(cmd))
            expect(rows and all(isinstance(r.get("Software"), str) and isinstance(r.get("Port"), int) for r in rows), "{}: {}".format(" ".join(cmd), short(rows)))
            expect({"Software": "SSH", "Port": 22} in rows, "{} should list SSH on 22: {}".format(" ".join(cmd), short(rows)))

    def platform_images():
        doc = cli.ok_doc("image", "list")
        rows = {i.get("CompShareImageId"): i for i in items(doc["data"], "image list")}
        for want in (UBUNTU, PYTORCH):
            expect(want in rows, "{} missing: {}".format(want, sorted(rows)))
        expect(all(i.get("Status") == "Available" for i in rows.values()), "platform images should be Available: {}".format(short(rows)))
        equal(doc["meta"].get("source"), "platform", "meta.source")
        expect(isinstance(doc["meta"].get("total"), int) and doc["meta"]["total"] >= 2, "meta.total: {}".format(doc["meta"]))
        app = image_items("--type", "App")
        expect(PYTORCH in app and UBUNTU not in app and all(i.get("ImageType") == "App" for i in app.values()), "image list --type App: {}".format(short(app)))
        one = cli.ok("image", "show", UBUNTU)
        equal((one.get("source"), (one.get("image") or {}).get("CompShareImageId")), ("platform", UBUNTU), "image show")
        expect((one["image"]).get("Name"), "image show: no Name")

    def community_and_favorite():
        rows = image_items("--source", "community")
        expect(rows, "the community list is empty")
        image_id = sorted(rows)[0]
        shown = cli.ok("image", "show", image_id, "--source", "community")["image"]
        group = shown.get("GroupId")
        expect(group, "the community image {} has no GroupId: {}".format(image_id, short(shown)))
        before = shown.get("FavoritesCount")
        expect(isinstance(before, int), "FavoritesCount should be an integer: {!r}".format(before))
        equal(cli.ok("image", "favorite", group), {}, "image favorite data")
        after = cli.ok("image", "show", image_id, "--source", "community")["image"].get("FavoritesCount")
        equal(after, before + 1, "FavoritesCount after image favorite {}".format(group))
        equal(cli.ok("image", "unfavorite", group), {}, "image unfavorite data")
        again = cli.ok("image", "show", image_id, "--source", "community")["image"].get("FavoritesCount")
        equal(again, before, "FavoritesCount after image unfavorite {}".format(group))
        api_error(cli.run("image", "favorite", "group-does-not-exist"), 226614, "CreateCompShareImageFavorite", "ImageNotFound")

    def image_tags():
        data = cli.ok("image", "tags")
        tags = data.get("Tags")
        expect(isinstance(tags, list) and tags and all(isinstance(t, str) for t in tags), "Tags: {}".format(short(data)))

    def dry_run():
        data = cli.ok(*CREATE, "--name", "cs-dry-run", "--dry-run")
        equal(data.get("dry_run"), True, "data.dry_run")
        sel = data.get("selection") or {}
        equal((sel.get("GpuType"), sel.get("GPU"), sel.get("CPU"), sel.get("Memory"), sel.get("CompShareImageId"), sel.get("ChargeType")),
              ("4090", 1, 16, 65536, UBUNTU, "Postpay"), "data.selection")
        equal({k: (data.get("capacity") or {}).get(k) for k in ("Gpu", "Cpu", "Mem", "ResourceEnough")}, {"Gpu": 1, "Cpu": 16, "Mem": 64, "ResourceEnough": True}, "data.capacity")
        details = (data.get("price") or {}).get("PriceDetails") or []
        expect(details, "data.price has no PriceDetails: {}".format(short(data.get("price"))))
        positive(details[0].get("Instance"), "PriceDetails[0].Instance")
        equal((data.get("request") or {}).get("Name"), "cs-dry-run", "data.request.Name")
        expect(not [h for h in listed().values() if h.get("Name") == "cs-dry-run"], "--dry-run created an instance")

    def max_price():
        usage_error(cli.run(*CREATE, "--name", "cs-too-dear", "--max-price", "0.01"), "exceeds --max-price")
        expect(not [h for h in listed().values() if h.get("Name") == "cs-too-dear"], "--max-price refused, yet an instance was created")

    def max_count():
        data = cli.ok(*CREATE, "--name", "cs-pair", "--max-count", "2", "--wait", *WAIT_TIMEOUT)
        ids = (data.get("instance") or {}).get("UHostIds") or []
        equal(len(ids), 2, "number of UHostIds for --max-count 2")
        equal((data.get("selection") or {}).get("MaxCount"), 2, "selection.MaxCount")
        finals = data.get("final") or []
        equal(sorted(described(f, i).get("State") for f, i in zip(finals, ids)), ["Running", "Running"], "States after --wait")
        s.state["pair"] = ids
        both = listed("--id", ids[0], "--id", ids[1])
        equal(sorted(both), sorted(ids), "instance list --id X --id Y")
        expect(all(h.get("Name") == "cs-pair" for h in both.values()), "the pair's names: {}".format(short(both)))

    def delete_pair():
        ids = s.state["pair"]
        data = cli.ok("instance", "delete", *ids, "-y", "--wait", *WAIT_TIMEOUT)
        for i in ids:
            batch_ok(data, i, "TerminateCompShareInstance")
        until(lambda: not listed("--id", ids[0], "--id", ids[1]), settle_s(), "the pair to leave instance list", 0.5)

    def errors():
        # A wrong private key: the server refuses the signature (RetCode 171), the CLI exits 1.
        api_error(cli.run("instance", "zones", extra_env={"COMPSHARE_PRIVATE_KEY": "not-the-key"}), 171, "DescribeCompShareSupportZone")
        # An unknown instance: Describe answers RetCode 0 and no host, and the CLI says so itself.
        usage_error(cli.run("instance", "show", "uhost-doesnotexist"), "uhost-doesnotexist was not found")
        inner = batch_failure(cli.run("instance", "reboot", "uhost-doesnotexist", "-y"), "uhost-doesnotexist")
        expect("not found" in inner["message"], "reboot of an unknown instance: {}".format(inner))
        # An unknown image, straight to the API: ImageNotFound.
        api_error(cli.run("image", "progress", "compshareImage-doesnotexist", "--region", REGION), 226614, "GetCompShareImageCreateProgress", "ImageNotFound")
        # Usage errors, the CLI's own and click's: exit 2.
        usage_error(cli.run("instance", "list", "--region", REGION), "--region and --zone must be provided together")
        usage_error(cli.run("instance", "create", "--gpu", "4090", "--count", "0", "--cpu", "16", "--memory", "64GiB", "--image", UBUNTU, *AT, "--yes"), "--count")
        usage_error(cli.run("instance", "bogus"), "No such command")
        usage_error(cli.run("instance", "create", "--gpu", "4090"), "JSON mode cannot start the interactive wizard")

    s.check("instance zones (and --region) list the zones", zones)
    s.check("instance families lists the GPU families", families)
    s.check("instance search lists the 4090 and its 1/16/64 spec", search)
    s.check("instance search --gpu 4090 lists only the 4090", search_gpu)
    s.check("instance search --image --available shows the stock; --available alone is refused", search_stock)
    s.check("instance price quotes every billing type, and --charge Day alone", price)
    s.check("instance billing quotes a positive Postpay price", billing)
    s.check("instance network answers Optimized and Info", network)
    s.check("instance models lists the repository, and --name filters it", models)
    s.check("instance ports list / software list list SSH on 22", ports_and_software)
    s.check("image list (platform, --type App) and image show", platform_images)
    s.check("image list --source community, image favorite/unfavorite by group id", community_and_favorite)
    s.check("image tags lists the tags", image_tags)
    s.check("instance create --dry-run plans without creating", dry_run)
    s.check("instance create --max-price below the quote is refused, nothing created", max_price)
    s.check("instance create --max-count 2 --wait makes two Running instances", max_count)
    s.check("instance delete X Y --wait deletes both", delete_pair, needs=["pair"])
    s.check("error paths: bad signature (171), unknown instance, unknown image (226614), usage errors (exit 2)", errors)


# =============================================================================================
# Track 2: one VM through its lifecycle.


def track_lifecycle():
    st = s.state
    password = "Compat-Passw0rd-7"

    def create():
        uhost, data = create_running("cs-life")
        st["a"] = uhost
        h = described(data["final"][0], uhost)
        equal((h.get("CPU"), h.get("Memory"), h.get("GPU"), h.get("GpuType"), h.get("CompShareImageId")), (16, 65536, 1, "4090", UBUNTU), "CPU, Memory, GPU, GpuType, CompShareImageId")
        equal((h.get("Region"), h.get("Zone"), h.get("ChargeType")), (REGION, ZONE, "Postpay"), "Region, Zone, ChargeType")
        details = (data.get("price") or {}).get("PriceDetails") or []
        expect(details, "data.price has no PriceDetails")
        positive(details[0].get("Instance"), "the quoted price")
        equal({k: (data.get("capacity") or {}).get(k) for k in ("Gpu", "Cpu", "Mem", "ResourceEnough")}, {"Gpu": 1, "Cpu": 16, "Mem": 64, "ResourceEnough": True}, "data.capacity")

    def list_():
        a = st["a"]
        doc = cli.ok_doc("instance", "list")
        rows = {h.get("UHostId"): h for h in items(doc["data"], "instance list")}
        expect(a in rows, "{} missing from instance list: {}".format(a, sorted(rows)))
        h = rows[a]
        equal((h.get("Name"), h.get("State"), h.get("GpuType"), h.get("GPU"), h.get("CPU"), h.get("Memory"), h.get("Region"), h.get("Zone"), h.get("ChargeType")),
              ("cs-life", "Running", "4090", 1, 16, 65536, REGION, ZONE, "Postpay"), "the list row")
        positive(h.get("InstancePrice"), "InstancePrice")
        meta = doc.get("meta") or {}
        equal((meta.get("action"), meta.get("limit"), meta.get("all")), ("DescribeCompShareInstanceResponse", 20, False), "meta")
        expect(REGION in (meta.get("regions") or []), "meta.regions: {}".format(meta))
        doc = cli.ok_doc("instance", "list", "--all")
        expect(a in [x.get("UHostId") for x in doc["data"]["items"]] and doc["meta"].get("all") is True and "limit" not in doc["meta"], "instance list --all: {}".format(short(doc["meta"])))
        equal(sorted(listed("--id", a)), [a], "instance list --id")
        expect(a in listed(*AT), "instance list --region --zone should list it")
        expect(a in listed("--status", "running", "--gpu", "4090"), "--status running --gpu 4090 should list it")
        expect(a not in listed("--status", "stopped"), "--status stopped should not list a Running instance")
        expect(a not in listed("--gpu", "3090"), "--gpu 3090 should not list a 4090")
        expect(a in listed("--name", "cs-life"), "--name cs-life should list it")

    def show_all():
        a = st["a"]
        doc = cli.ok_doc("instance", "show", a)
        h = doc["data"]["UHostSet"][0]
        equal((h.get("UHostId"), h.get("Region"), h.get("Zone"), h.get("State")), (a, REGION, ZONE, "Running"), "UHostId, Region, Zone, State")
        equal((h.get("Password"), h.get("SshLoginCommand")), ("***", "***"), "Password and SshLoginCommand are redacted")
        expect("data.UHostSet[0].Password" in (doc.get("meta") or {}).get("redacted_fields", []), "meta.redacted_fields: {}".format(doc.get("meta")))

    def show_sections():
        a = st["a"]
        spec = show(a, "--spec")
        equal((spec.get("CPU"), spec.get("Memory"), spec.get("GPU"), spec.get("GpuType"), spec.get("MachineType")), (16, 65536, 1, "4090", "G"), "--spec")
        expect("ChargeType" not in spec and "DiskSet" not in spec, "--spec should show only the spec: {}".format(sorted(spec)))
        h = show(a, "--ip", "--softwares", "--spec", "--disks", "--billing", "--image", "--status")
        equal(h.get("State"), "Running", "--status State")
        expect(isinstance(h.get("CreateTime"), int) and h["CreateTime"] > 0, "--status CreateTime: {!r}".format(h.get("CreateTime")))
        equal(h.get("ChargeType"), "Postpay", "--billing ChargeType")
        positive(h.get("InstancePrice"), "--billing InstancePrice")
        equal(h.get("CompShareImageId"), UBUNTU, "--image CompShareImageId")
        expect(isinstance(h.get("IPSet"), list) and h["IPSet"], "--ip IPSet: {!r}".format(h.get("IPSet")))
        expect(isinstance(h.get("Softwares"), list), "--softwares Softwares: {!r}".format(h.get("Softwares")))
        boot = [d for d in h.get("DiskSet") or [] if d.get("IsBoot") == "True"]
        expect(len(boot) == 1 and boot[0].get("Size") == 100 and boot[0].get("DiskId"), "--disks: one 100 GB boot disk: {}".format(short(h.get("DiskSet"))))
        equal(h.get("TotalDiskSpace"), 100, "--disks TotalDiskSpace")
        st["boot_disk"] = boot[0]["DiskId"]

    def reboot():
        a = st["a"]
        entry = batch_ok(cli.ok("instance", "reboot", a, "-y", "--wait", *WAIT_TIMEOUT), a, "RebootCompShareInstance")
        equal((entry.get("operation") or {}).get("UHostId"), a, "operation.UHostId")
        equal((entry.get("region"), entry.get("zone")), (REGION, ZONE), "the located region and zone")
        equal(final_host(entry, a).get("State"), "Running", "State after reboot --wait")

    def duplicate_reboot():
        # Two `instance reboot` at once: the second reaches the server while the first holds
        # the instance (a simulated boot lasts OCS_SIM_BOOT_MS), and is refused with 226610.
        a = st["a"]
        seen = []
        for _ in range(4):
            first, second = cli.start("instance", "reboot", a, "-y"), cli.start("instance", "reboot", a, "-y")
            results = [Cli.finish(first), Cli.finish(second)]
            fails = [r for r in results if r.code != 0]
            seen.append([r.code for r in results])
            if len(fails) == 1:
                batch_ok(ok(next(r for r in results if r.code == 0)), a, "RebootCompShareInstance")
                batch_failure(fails[0], a, 226610, "RebootCompShareInstance", "InstanceOperationInProgress")
                break
            expect(not fails, "both concurrent reboots failed: {}".format("; ".join(r.describe() for r in fails)))
            cli.ok("instance", "wait", a, "--state", "Running", *WAIT_TIMEOUT)
        else:
            raise CheckFailed("never got two reboots close enough together (exit codes {})".format(seen))
        # `instance wait` then waits for the reboot that went through.
        entry = batch_ok(cli.ok("instance", "wait", a, "--state", "Running", *WAIT_TIMEOUT), a, "wait")
        equal(final_host(entry, a).get("State"), "Running", "State after instance wait")

    def rename():
        a = st["a"]
        data = cli.ok("instance", "rename", a, "cs-life-renamed")
        equal(data.get("UHostId"), a, "data.UHostId")
        equal(show(a).get("Name"), "cs-life-renamed", "Name after rename")
        expect(a in listed("--name", "renamed"), "instance list --name renamed should list it")

    def password_and_ssh():
        a = st["a"]
        data = cli.ok("instance", "password", a, "--password", password, "-y")
        equal((data.get("operation") or {}).get("UHostId"), a, "operation.UHostId")
        usage_error(cli.run("instance", "password", a, "--password", password), "pass --yes")

        def probe():
            d = cli.ok("--show-sensitive", "instance", "ssh", a, "--print", "--no-cache")
            return d if d.get("password") == password else None

        d = until(probe, settle_s(), "ssh --print to show the new password", 0.3)
        expect(str(d.get("command", "")).startswith("ssh "), "the printed command: {!r}".format(d.get("command")))
        equal((d.get("instance"), d.get("credential_source")), (a, "api"), "instance, credential_source")
        hidden = cli.ok_doc("instance", "ssh", a, "--print", "--no-cache")
        equal((hidden["data"].get("command"), hidden["data"].get("password")), ("***", "***"), "ssh --print without --show-sensitive redacts")

    def schedule():
        a = st["a"]
        equal(cli.ok("instance", "schedule", "show", a).get("scheduled"), False, "scheduled before set")
        usage_error(cli.run("instance", "schedule", "extend", a, "--by", "1h"), "has no scheduled shutdown")
        t0 = now()
        equal(cli.ok("instance", "schedule", "set", a, "--at", "2h").get("UHostId"), a, "schedule set data.UHostId")
        shown = cli.ok("instance", "schedule", "show", a)
        equal(shown.get("scheduled"), True, "scheduled after set")
        at = shown.get("scheduler_stop_time")
        expect(isinstance(at, int) and t0 + 7200 - 5 <= at <= now() + 7200 + 5, "scheduler_stop_time {!r} should be 2 h from now ({})".format(at, t0 + 7200))
        ext = cli.ok("instance", "schedule", "extend", a, "--by", "1h")
        equal((ext.get("previous_stop_time"), ext.get("scheduler_stop_time"), ext.get("extended_by_seconds")), (at, at + 3600, 3600), "schedule extend")
        equal(cli.ok("instance", "schedule", "show", a).get("scheduler_stop_time"), at + 3600, "scheduler_stop_time after extend")
        equal(cli.ok("instance", "schedule", "cancel", a, "-y").get("UHostId"), a, "schedule cancel data.UHostId")
        shown = cli.ok("instance", "schedule", "show", a)
        equal((shown.get("scheduled"), shown.get("scheduler_stop_time")), (False, None), "after cancel")

    def refund():
        a = st["a"]
        rows = items(cli.ok("instance", "refund", a), "refund")
        equal([r.get("UHostId") for r in rows], [a], "refund UHostIds")
        equal(rows[0].get("RefundPrice"), 0, "a Postpay instance's RefundPrice")

    def monitor():
        a = st["a"]
        data = cli.ok("instance", "monitor", a)
        hosts = (data.get("Data") or {}).get("List", []) + (data.get("Data") or {}).get("PodList", [])
        mine = [h for h in hosts if h.get("UHostId") == a]
        expect(len(mine) == 1, "Data.List should hold {}: {}".format(a, short(data)))
        keys = [m.get("MetricKey") for m in mine[0].get("Metrics") or []]
        expect("uhost_cpu_used" in keys, "the metrics should include uhost_cpu_used: {}".format(keys))

    def charge_refused():
        a = st["a"]
        api_error(cli.run("instance", "charge", a, "--to", "Month", "-y"), 230, "SwitchChargeType")
        equal(show(a, "--billing").get("ChargeType"), "Postpay", "ChargeType after the refused switch")
        plan = cli.ok("instance", "charge", a, "--to", "Month", "--dry-run")
        equal((plan.get("dry_run"), plan.get("destination")), (True, "Month"), "charge --dry-run")

    def ports_refused():
        api_error(cli.run("instance", "ports", "update", st["a"], "--http", "8888", "-y"), 230, "UpdateCompShareInstancePorts")

    def stop():
        a = st["a"]
        usage_error(cli.run("instance", "stop", a), "pass --yes")
        equal(show(a, "--status").get("State"), "Running", "State after a stop without --yes")
        stop_wait(a)
        expect(a in listed("--status", "stopped"), "--status stopped should list it now")

    def reboot_stopped():
        a = st["a"]
        batch_failure(cli.run("instance", "reboot", a, "-y"), a, 8905, "RebootCompShareInstance", "InstanceStateInvalid")
        equal(show(a, "--status").get("State"), "Stopped", "State after the refused reboot")

    def resize_price():
        a = st["a"]
        up = cli.ok("instance", "resize-price", a, "--cpu", "32", "--memory", "128GiB", "--gpu", "2")
        positive(up.get("Price"), "the upgrade's Price")
        plan = cli.ok("instance", "resize", a, "--cpu", "32", "--memory", "128GiB", "--gpu", "2", "--dry-run")
        equal((plan.get("dry_run"), plan.get("request")), (True, {"Cpu": 32, "Memory": 131072, "Gpu": 2}), "resize --dry-run")
        positive((plan.get("price") or {}).get("Price"), "resize --dry-run price")
        equal(show(a, "--spec").get("CPU"), 16, "CPU after the dry run")

    def resize_compute():
        a = st["a"]
        st["price_before"] = show(a, "--billing").get("InstancePrice")
        data = cli.ok("instance", "resize", a, "--cpu", "32", "--memory", "128GiB", "--gpu", "2", "-y", "--wait", *WAIT_TIMEOUT)
        equal((data.get("operation") or {}).get("UHostId"), a, "operation.UHostId")
        h = final_host(data, a)
        equal((h.get("State"), h.get("CPU"), h.get("Memory"), h.get("GPU")), ("Stopped", 32, 131072, 2), "State, CPU, Memory, GPU after resize --wait")
        usage_error(cli.run("instance", "resize", a, "--cpu", "32", "-y"), "requires --cpu, --memory, and --gpu together")

    def resize_disk():
        a = st["a"]
        data = cli.ok("instance", "resize", a, "--disk", st["boot_disk"], "--disk-size", "200GiB", "-y", "--wait", *WAIT_TIMEOUT)
        h = final_host(data, a)
        boot = [d for d in h.get("DiskSet") or [] if d.get("DiskId") == st["boot_disk"]]
        equal([d.get("Size") for d in boot], [200], "the boot disk's Size after resize --disk-size 200GiB")
        equal(h.get("State"), "Stopped", "State after the disk resize")

    def reinstall():
        a = st["a"]
        data = cli.ok("instance", "reinstall", a, "--image", PYTORCH, "-y", "--wait", *WAIT_TIMEOUT)
        equal((data.get("operation") or {}).get("UHostId"), a, "operation.UHostId")
        h = final_host(data, a)
        expect(h.get("State") in ("Running", "Stopped"), "State after reinstall --wait: {}".format(h.get("State")))
        equal(h.get("CompShareImageId"), PYTORCH, "CompShareImageId after reinstall")
        equal((h.get("CPU"), h.get("GPU")), (32, 2), "the resized spec after reinstall")

    def start_resized():
        a = st["a"]
        if show(a, "--status").get("State") != "Running":
            start_wait(a)
        h = show(a, "--spec", "--billing")
        equal((h.get("CPU"), h.get("Memory"), h.get("GPU")), (32, 131072, 2), "the spec after start")
        expect(positive(h.get("InstancePrice"), "InstancePrice") > (st.get("price_before") or 0), "InstancePrice should rise with the spec: {} then {}".format(st.get("price_before"), h.get("InstancePrice")))

    def without_gpu():
        # No-GPU mode: the CLI sends WithoutGpuSpec; A is 1 CPU and 4 GB, B is not offered (230).
        a = st["a"]
        stop_wait(a)
        batch_failure(cli.run("instance", "start", a, "--without-gpu", "B"), a, 230, "StartCompShareInstance")
        entry = batch_ok(cli.ok("instance", "start", a, "--without-gpu", "A", "--wait", *WAIT_TIMEOUT), a, "StartCompShareInstance")
        equal(final_host(entry, a).get("State"), "Running", "State after start --without-gpu A --wait")
        h = show(a)
        equal((h.get("SupportWithoutGpuStart"), h.get("WithoutGpuSpec")), (True, {"Cpu": 1, "Memory": 4096, "Gpu": 0}), "SupportWithoutGpuStart and WithoutGpuSpec in no-GPU mode")
        expect(a in listed("--without-gpu"), "instance list --without-gpu should list it")
        stop_wait(a)
        start_wait(a)
        equal(show(a).get("WithoutGpuSpec"), {"Cpu": 0, "Memory": 0, "Gpu": 0}, "WithoutGpuSpec after a normal start")

    def delete():
        delete_wait(st["a"])
        usage_error(cli.run("instance", "show", st["a"]), "was not found")

    s.check("instance create --wait (4090, 16 CPU, 64GiB, ubuntu2204) reaches Running", create)
    s.check("instance list (and --all, --id, --region/--zone, --status, --gpu, --name)", list_, needs=["a"])
    s.check("instance show describes it, passwords redacted", show_all, needs=["a"])
    s.check("instance show --spec / --ip --softwares --spec --disks --billing --image --status", show_sections, needs=["a"])
    s.check("instance reboot -y --wait is Running again", reboot, needs=["a"])
    s.check("a reboot during a reboot is refused with InstanceOperationInProgress (226610); instance wait", duplicate_reboot, needs=["a"])
    s.check("instance rename: the new name shows", rename, needs=["a"])
    s.check("instance password --password -y: ssh --print shows the new password", password_and_ssh, needs=["a"])
    s.check("instance schedule set/show/extend/cancel", schedule, needs=["a"])
    s.check("instance refund of a Postpay instance is 0", refund, needs=["a"])
    s.check("instance monitor returns the instance's metrics", monitor, needs=["a"])
    s.check("instance charge --to Month of a Postpay instance is refused (230); --dry-run", charge_refused, needs=["a"])
    s.check("instance ports update on a VM is refused (230)", ports_refused, needs=["a"])
    s.check("instance stop: without --yes refused, -y --wait is Stopped", stop, needs=["a"])
    s.check("instance reboot of a Stopped instance is refused with InstanceStateInvalid (8905)", reboot_stopped, needs=["a"])
    s.check("instance resize-price and resize --dry-run quote the upgrade", resize_price, needs=["a"])
    s.check("instance resize --cpu --memory --gpu --wait", resize_compute, needs=["a"])
    s.check("instance resize --disk --disk-size --wait grows the boot disk", resize_disk, needs=["a", "boot_disk"])
    s.check("instance reinstall --image --wait", reinstall, needs=["a"])
    s.check("instance start --wait: the resized spec and a higher price", start_resized, needs=["a"])
    s.check("instance start --without-gpu A: no-GPU mode shows, B is refused (230), a normal start brings the GPUs back", without_gpu, needs=["a"])
    s.check("instance delete --wait: the instance is gone", delete, needs=["a"])


# =============================================================================================
# Track 3: a Day-billed VM, its billing switch and its data disks.


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


# =============================================================================================
# Track 4: a container instance, its ports, and the custom images made from it.


def track_images():
    st = s.state

    def create():
        data = cli.ok("instance", "create", "--gpu", "4090", "--count", "1", "--cpu", "16", "--memory", "64GiB", "--image", PYTORCH, *AT, "--yes", "--name", "cs-pod", "--wait", *WAIT_TIMEOUT)
        ids = (data.get("instance") or {}).get("UHostIds") or []
        equal(len(ids), 1, "number of UHostIds")
        h = described((data.get("final") or [{}])[0], ids[0])
        equal((h.get("State"), h.get("CompShareImageId")), ("Running", PYTORCH), "State, CompShareImageId")
        equal(h.get("InstanceType"), "Container", "InstanceType of an instance from an App image")
        st["p"] = ids[0]

    def ports():
        p = st["p"]
        before = show(p, "--softwares").get("Softwares") or []
        equal(cli.ok("instance", "ports", "update", p, "--http", "8888", "--http", "7860", "--tcp", "22", "--tcp", "6006", "-y").get("UHostId"), p, "data.UHostId")
        after = show(p, "--softwares").get("Softwares") or []
        names = " ".join(str(x.get("Name")) for x in after)
        expect("7860" in names and "6006" in names and len(after) > len(before), "instance show --softwares should show the new ports: before {}, after {}".format(short(before), short(after)))
        usage_error(cli.run("instance", "ports", "update", p, "-y"), "Specify at least one --http or --tcp port")

    def image_create_wait():
        p = st["p"]
        data = cli.ok("image", "create", "--instance", p, "--name", "cs-img-pub", "--description", "made by the suite", "-y", "--wait", *WAIT_TIMEOUT)
        image = (data.get("operation") or {}).get("CompShareImageId")
        expect(image, "data.operation.CompShareImageId: {}".format(short(data)))
        final = data.get("final") or {}
        expect(str(final.get("Status")).casefold() == "available" or final.get("Progress") == 100, "data.final should be done: {}".format(short(final)))
        st["pub_src"] = image
        row = image_items("--source", "custom").get(image)
        expect(row and row.get("Status") == "Available" and row.get("Name") == "cs-img-pub", "image list --source custom: {}".format(short(row)))

    def image_progress():
        p = st["p"]
        data = cli.ok("image", "create", "--instance", p, "--name", "cs-img-share", "-y", "--no-wait")
        image = (data.get("operation") or {}).get("CompShareImageId")
        expect(image, "data.operation.CompShareImageId: {}".format(short(data)))
        st["img"] = image
        making = cli.ok("image", "progress", image, "--region", REGION)
        expect(making.get("Status") != "Available", "image progress right after create should be in progress (OCS_SIM_IMAGE_MS={}): {}".format(Env.image_ms, short(making)))
        percent = making.get("Progress")
        expect(isinstance(percent, (int, float)) and 0 <= percent < 100, "Progress while being made: {!r}".format(percent))
        expect(isinstance(making.get("RemainingDuration"), str), "RemainingDuration should be a string: {!r}".format(making.get("RemainingDuration")))
        row = image_items("--source", "custom").get(image)
        expect(row is not None, "image list --source custom should list the image being made")

        def done():
            d = cli.ok("image", "progress", image, *AT)
            return d if d.get("Status") == "Available" else None

        final = until(done, settle_s(), "the image to be Available", 0.3)
        equal(final.get("Progress"), 100, "Progress once Available")

    def update():
        image = st["img"]
        equal(cli.ok("image", "update", image, "--name", "cs-img-shared", "--description", "updated by the suite", "--region", REGION), {}, "data")
        shown = cli.ok("image", "show", image, "--source", "custom").get("image") or {}
        equal((shown.get("Name"), shown.get("Description")), ("cs-img-shared", "updated by the suite"), "Name, Description after image update")
        usage_error(cli.run("image", "update", image, "--region", REGION), "Specify at least one field")

    def share():
        image = st["img"]
        data = cli.ok("image", "share", image, Env.peer_account_number, "--region", REGION)
        equal(data.get("InvalidAccounts"), [], "InvalidAccounts")
        accounts = items(cli.ok("image", "shares", image, "--region", REGION), "image shares")
        equal([a.get("AccountId") for a in accounts], [str(Env.peer_account_number)], "image shares AccountIds")
        theirs = image_items("--source", "shared", who=peer)
        expect(image in theirs, "the peer's image list --source shared should list {}: {}".format(image, sorted(theirs)))
        equal(peer.ok("image", "show", image, "--source", "shared").get("image", {}).get("Name"), "cs-img-shared", "the peer's image show --source shared")
        expect(image not in image_items("--source", "shared"), "the owner's own shared list should not list its image")
        bogus = cli.ok("image", "share", image, "99999999", "--region", REGION)
        equal(bogus.get("InvalidAccounts"), [99999999], "InvalidAccounts for an unknown account number")

    def unshare():
        image = st["img"]
        cli.ok("image", "unshare", image, Env.peer_account_number, "--region", REGION, "-y")
        equal(items(cli.ok("image", "shares", image, "--region", REGION), "image shares"), [], "image shares after unshare")
        expect(image not in image_items("--source", "shared", who=peer), "the peer still sees the image after unshare")

    def publish():
        src = st["pub_src"]
        name = "cs-community-{}".format(RUN)
        cli.ok("image", "publish", src, "--version", "v1", "--name", name, "--description", "published by the suite",
               "--version-description", "first", "--tag", "PyTorch", *AT, "-y")
        mine = [i for i in image_items("--source", "published").values() if i.get("Name") == name]
        expect(len(mine) == 1, "image list --source published should list the version: {}".format(short(mine)))
        equal((mine[0].get("VersionName"), mine[0].get("Status"), mine[0].get("Tags")), ("v1", "Available", ["PyTorch"]), "VersionName, Status, Tags")
        version = mine[0]["CompShareImageId"]
        st["version"] = version
        shown = cli.ok("image", "show", version, "--source", "published").get("image") or {}
        expect(shown.get("GroupId"), "the published version has no GroupId: {}".format(short(shown)))
        st["group"] = shown["GroupId"]
        expect(version in image_items("--source", "community"), "image list --source community should list the published version")
        expect(version in image_items("--source", "user", "--user", Env.account_number), "image list --source user --user <own number> should list it")
        expect(version not in image_items("--source", "user", "--user", Env.peer_account_number), "image list --source user --user <peer number> should not list it")
        usage_error(cli.run("image", "list", "--source", "user"), "--user is required")

    def favorite():
        version, group = st["version"], st["group"]
        equal(cli.ok("image", "show", version, "--source", "community")["image"].get("FavoritesCount"), 0, "FavoritesCount before")
        cli.ok("image", "favorite", group)
        equal(cli.ok("image", "show", version, "--source", "community")["image"].get("FavoritesCount"), 1, "FavoritesCount after favorite")
        cli.ok("image", "unfavorite", group)
        equal(cli.ok("image", "show", version, "--source", "community")["image"].get("FavoritesCount"), 0, "FavoritesCount after unfavorite")

    def delete_images():
        image, src, version = st["img"], st["pub_src"], st["version"]
        equal(cli.ok("image", "delete", image, "--region", REGION, "-y"), {}, "data")
        expect(image not in image_items("--source", "custom"), "the deleted image is still listed")
        api_error(cli.run("image", "progress", image, "--region", REGION), 226614, "GetCompShareImageCreateProgress", "ImageNotFound")
        # A published image is taken down (Visibility 0) before its source can be deleted.
        api_error(cli.run("image", "delete", src, "--region", REGION, "-y"), 226618, "TerminateCompShareCustomImage")
        cli.ok("image", "update", version, "--visibility", "0", "--region", REGION)
        expect(version not in image_items("--source", "community"), "the community list still lists the version taken down")
        cli.ok("image", "delete", src, "--region", REGION, "-y")
        expect(src not in image_items("--source", "custom"), "the deleted image is still listed")

    def delete():
        delete_wait(st["p"])

    s.check("instance create --image pytorch24 --wait makes a container instance", create)
    s.check("instance ports update: show --softwares lists the new ports", ports, needs=["p"])
    s.check("image create --wait from the container", image_create_wait, needs=["p"])
    s.check("image create --no-wait; image progress while it is being made, then 100", image_progress, needs=["p"])
    s.check("image update: the new name and description show", update, needs=["img"])
    s.check("image share/shares: the peer account sees it in --source shared", share, needs=["img"])
    s.check("image unshare: the peer no longer sees it", unshare, needs=["img"])
    s.check("image publish; list --source published / community / user --user", publish, needs=["pub_src"])
    s.check("image favorite/unfavorite of the published group counts", favorite, needs=["version", "group"])
    s.check("image delete (a published source after taking it down)", delete_images, needs=["img", "pub_src", "version"])
    s.check("instance delete --wait of the container", delete, needs=["p"])


try:
    s.tracks(track_catalog, track_lifecycle, track_disks, track_images)
finally:
    remove_home(HOME)
s.done([cli, peer])
