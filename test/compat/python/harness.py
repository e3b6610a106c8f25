"""A small check runner for the compatibility suite, and helpers around the official SDK.

Every check prints one line, `ok - python: NAME` or `not ok - python: NAME: REASON`, which
test/compat/run.ts counts. A check whose prerequisite failed is reported as failed too: nothing
is ever skipped silently.
"""
import base64
import logging
import os
import re
import sys
import time
import traceback

from ucloud.client import Client
from ucloud.core import exc

REGION = "cn-wlcb"
ZONE = "cn-wlcb-01"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# The platform images of the default catalog.
UBUNTU = "compshareImage-ubuntu2204"
PYTORCH = "compshareImage-pytorch24"
COMFYUI = "compshareImage-comfyui"

CREATE = {
    "Zone": ZONE,
    "CPU": 16,
    "Memory": 65536,
    "GPU": 1,
    "GpuType": "4090",
    "MachineType": "G",
    "CompShareImageId": UBUNTU,
}


class Env:
    base_url = os.environ["OCS_COMPAT_BASE_URL"]
    public_key = os.environ["OCS_COMPAT_PUBLIC_KEY"]
    private_key = os.environ["OCS_COMPAT_PRIVATE_KEY"]
    other_public_key = os.environ["OCS_COMPAT_OTHER_PUBLIC_KEY"]
    other_private_key = os.environ["OCS_COMPAT_OTHER_PRIVATE_KEY"]
    other_project_id = os.environ["OCS_COMPAT_OTHER_PROJECT_ID"]
    boot_ms = int(os.environ.get("OCS_COMPAT_BOOT_MS", "300"))
    image_ms = int(os.environ.get("OCS_COMPAT_IMAGE_MS", "2000"))


def b64(s):
    return base64.b64encode(s.encode()).decode()


class CheckFailed(Exception):
    pass


def expect(cond, message):
    if not cond:
        raise CheckFailed(message)


def equal(got, want, what):
    if got != want:
        raise CheckFailed("{}: got {!r}, want {!r}".format(what, got, want))


# ---------------------------------------------------------------------------------------------
# The SDK client, with the raw answer of the last call kept for comparison with the typed one.


_quiet = logging.getLogger("opencompshare.compat.quiet")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False
_quiet.setLevel(logging.CRITICAL)


class Sdk:
    """The official client (`Client(...).ucompshare()`), plus the raw body of the last answer."""

    def __init__(self, public_key=None, private_key=None, **config):
        cfg = {
            "region": REGION,
            "public_key": public_key or Env.public_key,
            "private_key": private_key or Env.private_key,
            "base_url": Env.base_url,
        }
        cfg.update(config)
        self.client = Client(cfg, logger=_quiet).ucompshare()
        self.raw = None
        self.sent = 0
        self.client.middleware.response(self._keep)
        self.client.middleware.request(self._count)

    def _keep(self, data, http_resp=None):
        self.raw = data
        return data

    def _count(self, req):
        self.sent += 1
        return req

    def typed(self, method, req=None):
        """Calls a typed method, then checks that its decoder kept every field the server sent."""
        typed = getattr(self.client, method)(req or {})
        unknown = unknown_fields(self.raw, typed)
        if unknown:
            raise CheckFailed(
                "{}: the SDK's typed decoder does not know the field(s) {} the server returned".format(
                    method, ", ".join(unknown)
                )
            )
        return typed

    def invoke(self, action, args=None, **options):
        return self.client.invoke(action, args or {}, **options)


ENVELOPE = {"Action", "RetCode", "Message"}


def unknown_fields(raw, typed, path=""):
    """Keys of the raw answer that the typed answer dropped (the SDK's model lacks them)."""
    out = []
    if isinstance(raw, dict) and isinstance(typed, dict):
        for k, v in raw.items():
            if path == "" and k in ENVELOPE:
                continue
            where = "{}.{}".format(path, k) if path else k
            if k not in typed:
                out.append(where)
            else:
                out.extend(unknown_fields(v, typed[k], where))
    elif isinstance(raw, list) and isinstance(typed, list):
        for i, (r, t) in enumerate(zip(raw, typed)):
            out.extend(unknown_fields(r, t, "{}[{}]".format(path, i)))
    return sorted(set(re.sub(r"\[\d+\]", "[]", p) for p in out))


def expect_error(fn, code, symbol=None, message=None, action=None):
    """Runs fn, which must raise RetCodeException with this code and message."""
    try:
        fn()
    except exc.RetCodeException as e:
        if e.code != code:
            raise CheckFailed("expected RetCode {}, got {}: {}".format(code, e.code, e.message))
        if symbol is not None and not e.message.startswith(symbol + ": "):
            raise CheckFailed("Message should start with {!r}: got {!r}".format(symbol + ": ", e.message))
        if message is not None and e.message != message:
            raise CheckFailed("Message: got {!r}, want {!r}".format(e.message, message))
        if action is not None and e.action != action:
            raise CheckFailed("RetCodeException.action: got {!r}, want {!r}".format(e.action, action))
        if not UUID_RE.match(e.request_uuid or ""):
            raise CheckFailed("RetCodeException.request_uuid is not the X-UCLOUD-REQUEST-UUID: {!r}".format(e.request_uuid))
        return e
    raise CheckFailed("expected RetCodeException {} ({}), but the call succeeded".format(code, symbol or message))


def error_code(fn):
    """The RetCode fn raised, or 0 when it succeeded."""
    try:
        fn()
        return 0
    except exc.RetCodeException as e:
        return e.code


def until(fn, timeout_s, what, interval_s=0.05):
    """Polls fn until it returns a true value; fails after timeout_s."""
    deadline = time.monotonic() + timeout_s
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > deadline:
            raise CheckFailed("timed out after {:.1f}s waiting for {}".format(timeout_s, what))
        time.sleep(interval_s)


def settle_s():
    """How long any simulated operation may take, with a generous margin for a loaded machine."""
    return 20 + 10 * (Env.boot_ms + Env.image_ms) / 1000


def describe_one(sdk, uhost_id):
    resp = sdk.typed("describe_comp_share_instance", {"Region": REGION, "Zone": ZONE, "UHostIds": [uhost_id]})
    sets = [h for h in resp["UHostSet"] if h["UHostId"] == uhost_id]
    return sets[0] if sets else None


def wait_state(sdk, uhost_id, state, timeout_s=None):
    seen = []

    def probe():
        h = describe_one(sdk, uhost_id)
        st = h["State"] if h else None
        if not seen or seen[-1] != st:
            seen.append(st)
        return h if h and h["State"] == state else None

    try:
        return until(probe, timeout_s or settle_s(), "{} to be {}".format(uhost_id, state))
    except CheckFailed as e:
        raise CheckFailed("{} (states seen: {})".format(e, seen))


def wait_gone(sdk, uhost_id, timeout_s=None):
    until(lambda: describe_one(sdk, uhost_id) is None, timeout_s or settle_s(), "{} to leave Describe".format(uhost_id))


def create_running(sdk, **extra):
    req = dict(CREATE)
    req.update(extra)
    ids = sdk.typed("create_comp_share_instance", req)["UHostIds"]
    equal(len(ids), 1, "number of UHostIds")
    wait_state(sdk, ids[0], "Running")
    return ids[0]


# ---------------------------------------------------------------------------------------------
# The runner.


class Suite:
    def __init__(self, prefix):
        self.prefix = prefix
        self.passed = 0
        self.failed = 0
        self.state = {}

    def check(self, name, fn, needs=()):
        missing = [n for n in needs if n not in self.state]
        label = "{}: {}".format(self.prefix, name)
        if missing:
            self.failed += 1
            print("not ok - {}: prerequisite failed ({})".format(label, ", ".join(missing)), flush=True)
            return None
        started = time.monotonic()
        try:
            result = fn()
        except CheckFailed as e:
            self.failed += 1
            print("not ok - {}: {}".format(label, e), flush=True)
            return None
        except exc.UCloudException as e:
            self.failed += 1
            print("not ok - {}: unexpected {}: {}".format(label, type(e).__name__, e), flush=True)
            return None
        except Exception as e:  # noqa: BLE001 - any crash of a check is its failure
            self.failed += 1
            print("not ok - {}: {}: {}".format(label, type(e).__name__, e), flush=True)
            for line in traceback.format_exc().splitlines():
                print("#   " + line, flush=True)
            return None
        self.passed += 1
        print("ok - {} ({:.1f}s)".format(label, time.monotonic() - started), flush=True)
        return result

    def done(self):
        print("# {}: {} passed, {} failed".format(self.prefix, self.passed, self.failed), flush=True)
        sys.exit(1 if self.failed else 0)
