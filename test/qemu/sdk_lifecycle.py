"""The official UCloud Python SDK against a server whose instances are real QEMU guests.

Creates one instance with a password, follows it Initializing -> Running, reboots it and follows
Rebooting -> Running, all through the SDK's typed methods. Prints one JSON line:
{"UHostId", "Create": [states seen], "Reboot": [states seen], "SshLoginCommand", "Password"}.

Environment: OCS_E2E_BASE_URL, OCS_E2E_PUBLIC_KEY, OCS_E2E_PRIVATE_KEY, OCS_E2E_IMAGE_ID,
OCS_E2E_PASSWORD (plain text; the SDK's Password field is base64, as CompShare documents).
"""

import base64
import json
import logging
import os
import sys
import time

from ucloud.client import Client

REGION = "cn-wlcb"
ZONE = "cn-wlcb-01"
#: Real guests under TCG boot in tens of seconds; a noisy machine can take minutes.
TIMEOUT_S = 300

quiet = logging.getLogger("ocs-e2e")
quiet.addHandler(logging.NullHandler())
quiet.propagate = False

client = Client(
    {
        "region": REGION,
        "public_key": os.environ["OCS_E2E_PUBLIC_KEY"],
        "private_key": os.environ["OCS_E2E_PRIVATE_KEY"],
        "base_url": os.environ["OCS_E2E_BASE_URL"],
    },
    logger=quiet,
).ucompshare()


def describe(uhost_id):
    resp = client.describe_comp_share_instance({"Zone": ZONE, "UHostIds": [uhost_id]})
    return resp["UHostSet"][0]


def follow(uhost_id, until, seen):
    """Polls Describe until the state is `until`, recording each state seen once, in order."""
    deadline = time.time() + TIMEOUT_S
    while True:
        inst = describe(uhost_id)
        state = inst["State"]
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == until:
            return inst
        if state in ("InstallFail", "Stopped") or time.time() > deadline:
            raise SystemExit("instance {} is {} (seen {}), waiting for {}".format(uhost_id, state, seen, until))
        time.sleep(0.5)


def main():
    password = os.environ["OCS_E2E_PASSWORD"]
    created = client.create_comp_share_instance(
        {
            "Zone": ZONE,
            "MachineType": "G",
            "GpuType": "4090",
            "GPU": 1,
            "CPU": 16,
            "Memory": 65536,
            "CompShareImageId": os.environ["OCS_E2E_IMAGE_ID"],
            "Name": "e2e-guest",
            "ChargeType": "Postpay",
            "Password": base64.b64encode(password.encode()).decode(),
        }
    )
    uhost_id = created["UHostIds"][0]
    on_create = []
    follow(uhost_id, "Running", on_create)
    client.reboot_comp_share_instance({"Zone": ZONE, "UHostId": uhost_id})
    on_reboot = []
    inst = follow(uhost_id, "Running", on_reboot)
    print(
        json.dumps(
            {
                "UHostId": uhost_id,
                "Create": on_create,
                "Reboot": on_reboot,
                "SshLoginCommand": inst["SshLoginCommand"],
                "Password": inst["Password"],
                "IP": inst["IPSet"][0]["IP"] if inst.get("IPSet") else "",
            }
        )
    )
    sys.stdout.flush()


main()
