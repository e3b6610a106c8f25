"""Track 2: one VM through its lifecycle: list and show, reboot (a concurrent one refused), rename,
password and ssh --print, schedule, refund, monitor, the refused charge switch and ports, stop,
resize-price and resize, reinstall, start in no-GPU mode, delete.
"""
from harness import (
    AT,
    PYTORCH,
    REGION,
    UBUNTU,
    WAIT_TIMEOUT,
    ZONE,
    CheckFailed,
    Cli,
    api_error,
    batch_failure,
    batch_ok,
    described,
    equal,
    expect,
    final_host,
    ok,
    positive,
    settle_s,
    short,
    until,
    usage_error,
)
from commands import create_running, delete_wait, items, listed, now, show, start_wait, stop_wait
from session import cli, s


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
        a = st["a"]
        # CompShare deletes only a Stopped instance: delete of a Running one fails (8010) and keeps it.
        batch_failure(cli.run("instance", "delete", a, "-y"), a, 8010, "TerminateCompShareInstance", "InstanceMustBeStopped")
        equal(show(a).get("State"), "Running", "State after a refused delete")
        delete_wait(a)
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
