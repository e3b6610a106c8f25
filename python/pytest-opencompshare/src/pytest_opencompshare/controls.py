"""`CompShare`: a running server's address, keys, official SDK client, and the test controls."""
import json
import logging
import subprocess
import time

from ucloud.client import Client
from ucloud.core import exc

REGION = "cn-wlcb"
ZONE = "cn-wlcb-01"
IN_PROGRESS = 226610  # InstanceOperationInProgress: an operation is in flight
BUSY = (226610, 226613)  # the operation lock, a background task

# A Postpay instance of the default catalog: the recipes' (and create_instance's) default.
INSTANCE = {
    "Zone": ZONE,
    "CPU": 16,
    "Memory": 65536,
    "GPU": 1,
    "GpuType": "4090",
    "MachineType": "G",
    "CompShareImageId": "compshareImage-ubuntu2204",
    "ChargeType": "Postpay",
}

_sdk_log = logging.getLogger("pytest_opencompshare.sdk")


class CompShare:
    """What the `compshare` fixture yields. Every control is a signed call of the official SDK."""

    region = REGION
    zone = ZONE

    def __init__(self, server):
        self.server = server
        creds = server.credentials
        self.base_url = server.base_url
        self.public_key = creds["PublicKey"]
        self.private_key = creds["PrivateKey"]
        self.project_id = creds["ProjectId"]
        self.account_id = creds["AccountId"]
        self.data_dir = server.data_dir
        self.log_path = server.log_path
        self.soft_timeout_s = int(server.env.get("OCS_SOFT_TIMEOUT_MS", "60000")) / 1000
        self.lock_ttl_s = int(server.env.get("OCS_LOCK_TTL_S", "600"))
        self.client = self.new_client()

    def new_client(self, **config):
        """A new official `ucloud.client.Client` for this server (config overrides the defaults)."""
        cfg = {
            "region": REGION,
            "project_id": self.project_id,
            "public_key": self.public_key,
            "private_key": self.private_key,
            "base_url": self.base_url,
        }
        cfg.update(config)
        return Client(cfg, logger=_sdk_log)

    def invoke(self, action, params=None):
        """`client.invoke(action, params)`: the answer's dict, or the SDK's RetCodeException."""
        return self.client.invoke(action, dict(params or {}))

    # The test controls.

    def advance(self, seconds):
        """Moves the server's clock forward; returns once the policy steps due by then are applied."""
        return self.invoke("AdvanceCompShareClock", {"Seconds": seconds})

    def clock(self):
        return self.invoke("DescribeCompShareClock")

    def fault(self, method, mode, uhost_id=None, times=1, delay_ms=None, message=None):
        """Arms a fault of a machine-contract method (`reboot`, `powerOn`, ...); returns its FaultId."""
        params = {"Method": method, "Mode": mode, "Times": times}
        for key, value in (("UHostId", uhost_id), ("DelayMs", delay_ms), ("Message", message)):
            if value is not None:
                params[key] = value
        return self.invoke("ArmCompShareFault", params)["FaultId"]

    def faults(self):
        return self.invoke("DescribeCompShareFaults")["FaultSet"]

    def clear_faults(self, fault_id=None):
        return self.invoke("ClearCompShareFaults", {"FaultId": fault_id} if fault_id else {})["Cleared"]

    def snapshot(self, name, overwrite=False):
        return self.invoke("SaveCompShareSnapshot", dict({"Name": name}, **({"Overwrite": True} if overwrite else {})))

    def restore(self, name):
        return self.invoke("RestoreCompShareSnapshot", {"Name": name})

    def snapshots(self):
        return self.invoke("DescribeCompShareSnapshots")["SnapshotSet"]

    def delete_snapshot(self, name):
        return self.invoke("DeleteCompShareSnapshot", {"Name": name})

    def reset(self, attempts=4):
        """ResetCompShareState. While an operation is in flight (226610) the faults are cleared and
        the clock moved past the soft timeout (then past the lock's TTL) so that it ends; then again."""
        steps = [self.soft_timeout_s + 1, self.lock_ttl_s + 1]
        for attempt in range(attempts):
            try:
                return self.invoke("ResetCompShareState")
            except exc.RetCodeException as e:
                if e.code != IN_PROGRESS or attempt == attempts - 1:
                    raise
            self.clear_faults()
            self.advance(steps[min(attempt, len(steps) - 1)])
            time.sleep(0.2)

    # Conveniences for tests.

    def ocs(self, *args, timeout=60):
        """Runs the `ocs` command line on this server's data directory and database (operator
        commands such as `balance set`); returns its JSON output, or raises CalledProcessError."""
        out = subprocess.run(
            self.server.command + [str(a) for a in args],
            env=self.server.env,
            cwd=str(self.server.workdir),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if out.returncode != 0:
            raise subprocess.CalledProcessError(out.returncode, ["ocs", *args], out.stdout, out.stderr)
        lines = out.stdout.strip().splitlines()
        try:
            return json.loads(lines[-1]) if lines else None
        except ValueError:
            return out.stdout

    def create_instance(self, **params):
        """Creates one instance (Postpay 4090 by default, `params` override) and waits until Running."""
        req = dict(INSTANCE, **params)
        uhost_id = self.client.ucompshare().create_comp_share_instance(req)["UHostIds"][0]
        self.wait_state(uhost_id, "Running")
        return uhost_id

    def describe(self, uhost_id):
        """The instance's entry of DescribeCompShareInstance, or None when it is gone."""
        resp = self.client.ucompshare().describe_comp_share_instance({"Zone": ZONE, "UHostIds": [uhost_id]})
        found = [h for h in resp.get("UHostSet", []) if h["UHostId"] == uhost_id]
        return found[0] if found else None

    def wait_state(self, uhost_id, state, timeout=30.0):
        """Polls Describe until the instance is in `state` (None: gone); returns its entry."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            h = self.describe(uhost_id)
            current = h["State"] if h else None
            if not seen or seen[-1] != current:
                seen.append(current)
            if current == state:
                return h
            if time.monotonic() > deadline:
                raise AssertionError("{} did not become {!r} within {} s; states seen: {}".format(uhost_id, state, timeout, seen))
            time.sleep(0.05)

    def when_free(self, call, timeout=30.0):
        """Calls `call()` again while it answers 226610 or 226613 (the instance is busy)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return call()
            except exc.RetCodeException as e:
                if e.code not in BUSY or time.monotonic() > deadline:
                    raise
            time.sleep(0.1)
