"""The seed's example (seed_example.py), run as its own program: only base_url, the keys and the
UHostId changed. The checks run it on an instance the suite made, Running, then Stopped, then
terminated, and read what it prints.
"""
import os
import subprocess
import sys

from harness import terminate_stopped, CheckFailed, create_running, describe_one, equal, expect, wait_gone, wait_state
from session import on_instance, s, sdk


HERE = os.path.dirname(os.path.abspath(__file__))


def run_seed(uhost_id):
    env = dict(os.environ)
    env["OCS_COMPAT_UHOST_ID"] = uhost_id
    out = subprocess.run(
        [sys.executable, os.path.join(HERE, "seed_example.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if out.returncode != 0:
        raise CheckFailed("seed_example.py exited with {}: {}".format(out.returncode, out.stderr.strip()[-500:]))
    return out.stdout.strip()


def seed_reboots():
    uhost = create_running(sdk, Name="py-seed")
    s.state["seed"] = uhost
    out = run_seed(uhost)
    equal(out, "重启成功: {}".format(uhost), "the seed's output")
    h = describe_one(sdk, uhost)
    expect(h["State"] in ("Rebooting", "Running"), "state after the seed's reboot: {}".format(h["State"]))
    wait_state(sdk, uhost, "Running")


def seed_on_stopped():
    uhost = s.state["seed"]
    sdk.typed("stop_comp_share_instance", on_instance(uhost))
    wait_state(sdk, uhost, "Stopped")
    out = run_seed(uhost)
    expect(" RebootCompShareInstance - 8905: InstanceStateInvalid: " in out, "the seed should print the 8905 error: {!r}".format(out))
    expect(uhost in out, "the message should name the instance: {!r}".format(out))


def seed_on_terminated():
    uhost = s.state["seed"]
    terminate_stopped(sdk, on_instance(uhost))
    wait_gone(sdk, uhost)
    out = run_seed(uhost)
    expect(" RebootCompShareInstance - 8039: InstanceNotFound: " in out, "the seed should print the 8039 error: {!r}".format(out))


def run():
    s.check("seed example reboots an instance the suite created", seed_reboots)
    s.check("seed example on a Stopped instance prints InstanceStateInvalid (8905)", seed_on_stopped, needs=["seed"])
    s.check("seed example on a terminated instance prints InstanceNotFound (8039)", seed_on_terminated, needs=["seed"])
