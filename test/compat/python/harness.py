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

from ucloud.client import Client
from ucloud.core import exc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import checks  # noqa: E402  (test/compat/checks.py, shared with the CLI suite)
from checks import CheckFailed, equal, expect, operator_review, until  # noqa: E402,F401  (re-exported to the suite)

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
        root = Client(cfg, logger=_quiet)
        self.client = root.ucompshare()
        # UCloud's account service (GetProjectList): same transport, same middleware.
        self.account = root.uaccount()
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

    def typed(self, method, req=None, service="ucompshare"):
        """Calls a typed method, then checks that its decoder kept every field the server sent,
        but for the documented extras of the action (EXTRAS)."""
        client = self.account if service == "uaccount" else self.client
        typed = getattr(client, method)(req or {})
        action = str((self.raw or {}).get("Action", ""))
        action = action[: -len("Response")] if action.endswith("Response") else action
        allowed = EXTRAS.get(action, set())
        unknown = [u for u in unknown_fields(self.raw, typed) if u not in allowed]
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

# Fields the server sends on purpose although the SDK models lack them: the docs' and the CompShare
# CLI's names, listed in docs/compatibility.md.
# Any other field the typed decoder drops is a failure: a misspelt or invented name.
_IMAGE = ("QrCodeUrl", "SoftwarePorts", "SupportedGpuTypes", "UpdateTime")
_PRICE = {"PriceDetails", "OriginalPriceDetails", "ListPriceDetails"} | {
    "{}[].SystemDisks".format(k) for k in ("PriceDetail", "OriginalPriceDetail", "ListPriceDetail")
}
_GROUPED = {"CompshareImageGroup", "ImageSet"} | {"ImageSetGroup[].Data[].{}".format(f) for f in _IMAGE}
EXTRAS = {
    "DescribeCompShareInstance": {"UHostSet[].Region", "UHostSet[].SchedulerStopTime"},
    "DescribeCompShareImages": {"ImageSet[].{}".format(f) for f in _IMAGE},
    "DescribeCompShareCustomImages": {"ImageSet[].{}".format(f) for f in _IMAGE},
    "DescribeCompShareSharingImages": {"ImageSet[].{}".format(f) for f in _IMAGE},
    "DescribeCommunityImages": {"CompshareImageGroup", "ImageSetGroup", "AvailableTotalCount"} | {"ImageSet[].{}".format(f) for f in _IMAGE},
    "DescribeSelfCommunityImages": _GROUPED,
    "DescribeUserCommunityImages": _GROUPED,
    "GetCompShareImageCreateProgress": {"Status", "Progress"},
    "TerminateCompShareInstance": {"InRecycle"},
    "UpdateCompShareStopScheduler": {"UHostId"},
    "DeleteCompShareStopScheduler": {"UHostId"},
    "DescribeCompShareMachineTypeFamilies": {"MachineTypesMap"},
    "DescribeAvailableCompShareInstanceTypes": {"AvailableInstanceTypes[].Description"},
    "CheckCompShareNetOptimizer": {"Info"},
    "DescribeCompShareImageTags": {"TagsMap", "TagIndex"},
    "GetCompShareInstancePrice": _PRICE,
    "GetCompShareInstanceUserPrice": _PRICE,
    "GetCompShareRefundPrice": {"RefundPriceSet[].Message"},
    "GetCompShareInstanceMonitor": {"Data"},
}


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


def expect_error(fn, code, symbol=None, message=None, action=None, prefix=None):
    """Runs fn, which must raise RetCodeException with this code and message (or its prefix)."""
    try:
        fn()
    except exc.RetCodeException as e:
        if e.code != code:
            raise CheckFailed("expected RetCode {}, got {}: {}".format(code, e.code, e.message))
        if prefix is not None and not e.message.startswith(prefix):
            raise CheckFailed("Message should start with {!r}: got {!r}".format(prefix, e.message))
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


BUSY = (226610, 226613)  # the operation lock, a background task: both end by themselves


def when_free(fn, timeout_s=None):
    """Calls fn until it is not refused with InstanceOperationInProgress/InstanceBackgroundTask."""
    deadline = time.monotonic() + (timeout_s or settle_s())
    while True:
        try:
            return fn()
        except exc.RetCodeException as e:
            if e.code not in BUSY or time.monotonic() > deadline:
                raise
        time.sleep(0.05)


def settle_s():
    """How long any simulated operation may take, with a generous margin for a loaded machine."""
    return checks.settle_budget_s(Env.boot_ms, Env.image_ms)


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


def stop_for_terminate(sdk, uhost_id):
    """CompShare deletes only a Stopped instance: stops it first when it runs (or is getting there)."""
    wait = lambda: until(lambda: (describe_one(sdk, uhost_id) or {}).get("State") not in ("Initializing", "Starting", "Rebooting", "Stopping", "Resizing"), settle_s(), "{} to settle".format(uhost_id))
    wait()
    h = describe_one(sdk, uhost_id)
    if h and h["State"] == "Running":
        when_free(lambda: sdk.typed("stop_comp_share_instance", {"Region": REGION, "Zone": ZONE, "UHostId": uhost_id}))
        wait_state(sdk, uhost_id, "Stopped")


def terminate_stopped(sdk, params):
    """TerminateCompShareInstance as a user must call it: the instance stopped first."""
    stop_for_terminate(sdk, params["UHostId"])
    return when_free(lambda: sdk.typed("terminate_comp_share_instance", params))


def create_running(sdk, **extra):
    req = dict(CREATE)
    req.update(extra)
    ids = sdk.typed("create_comp_share_instance", req)["UHostIds"]
    equal(len(ids), 1, "number of UHostIds")
    wait_state(sdk, ids[0], "Running")
    return ids[0]


# ---------------------------------------------------------------------------------------------
# The runner.


def Suite(prefix):
    """The shared check runner; an SDK exception fails a check with its message alone."""
    return checks.Suite(prefix, client_errors=(exc.UCloudException,))
