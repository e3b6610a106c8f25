"""Helpers built on CLI commands, shared by the tracks: the rows of a list answer, `instance list`
and `instance show`, create, stop, start and delete with `--wait` and what they must show,
`storage disk list` polled until a disk's row is as expected, `image list`, and the clock.
"""
import time

from harness import (
    CREATE,
    WAIT_TIMEOUT,
    CheckFailed,
    batch_ok,
    described,
    equal,
    expect,
    final_host,
    settle_s,
    short,
    until,
)
from session import cli


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
    """`instance delete -y --wait`, then the instance must leave `instance list`. CompShare deletes
    only a Stopped instance, and the CLI does not stop one first: a running one is stopped before."""
    if (listed("--id", instance).get(instance) or {}).get("State") == "Running":
        stop_wait(instance)
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
