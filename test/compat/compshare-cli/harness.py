"""Runs the official CompShare CLI as a subprocess and checks its `--json` answers.

Every CLI invocation is `python compshare_local.py --json ARGS…` (see compshare_local.py: the
only adaptation is the endpoint, and telemetry off), with the suite's credentials in
COMPSHARE_PUBLIC_KEY / COMPSHARE_PRIVATE_KEY and HOME, XDG_*, COMPSHARE_CONFIG_FILE,
COMPSHARE_SSH_CACHE_FILE and COMPSHARE_TEMPLATE_FILE inside a temporary directory, so no real
configuration is read or written. COMPSHARE_LANG=en makes the CLI's own messages English.

The CLI's JSON envelope (compshare_cli/output.py):
  success: {"ok": true,  "schema_version": "1", "data": …, "meta": {…}?}
  failure: {"ok": false, "schema_version": "1", "error": {"code", "message", "details"?}}
with error.code "api_error" (RetCode ≠ 0: details.action/ret_code/request_uuid/hint, exit 1),
"partial_failure" (a batch command: details.failed[].error, exit 1), "invalid_usage" (the CLI's
own checks and click's, exit 2).

Every check prints one line, `ok - compshare-cli: NAME` or `not ok - compshare-cli: NAME:
REASON`, which test/compat/run.ts counts. A check whose prerequisite failed is reported as
failed too: nothing is skipped silently. Checks run in a few independent tracks at once (one
thread each, every track with its own instances), so the suite takes as long as its longest
track.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import checks  # noqa: E402  (test/compat/checks.py, shared with the SDK suite)
from checks import CheckFailed, equal, expect, operator_review  # noqa: E402,F401  (re-exported to the suite)

HERE = os.path.dirname(os.path.abspath(__file__))
WRAPPER = os.path.join(HERE, "compshare_local.py")

REGION = "cn-wlcb"
ZONE = "cn-wlcb-01"
AT = ["--region", REGION, "--zone", ZONE]
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# The platform images of the default catalog.
UBUNTU = "compshareImage-ubuntu2204"
PYTORCH = "compshareImage-pytorch24"

# A non-interactive create: the spec of the brief; name and extras are added per call.
CREATE = ["instance", "create", "--gpu", "4090", "--count", "1", "--cpu", "16", "--memory", "64GiB",
          "--image", UBUNTU, *AT, "--yes"]

# Bounds: one CLI call, and the CLI's own --timeout for everything it waits for.
CALL_TIMEOUT_S = 90
WAIT_TIMEOUT = ["--timeout", "60"]


class Env:
    base_url = os.environ["OCS_COMPAT_BASE_URL"]
    public_key = os.environ["OCS_COMPAT_PUBLIC_KEY"]
    private_key = os.environ["OCS_COMPAT_PRIVATE_KEY"]
    account_number = int(os.environ["OCS_COMPAT_ACCOUNT_NUMBER"])
    peer_public_key = os.environ["OCS_COMPAT_PEER_PUBLIC_KEY"]
    peer_private_key = os.environ["OCS_COMPAT_PEER_PRIVATE_KEY"]
    peer_account_number = int(os.environ["OCS_COMPAT_PEER_ACCOUNT_NUMBER"])
    boot_ms = int(os.environ.get("OCS_COMPAT_BOOT_MS", "300"))
    image_ms = int(os.environ.get("OCS_COMPAT_IMAGE_MS", "2000"))


def positive(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise CheckFailed("{} should be a positive number: got {!r}".format(what, value))
    return value


def short(value, limit=600):
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"


# ---------------------------------------------------------------------------------------------
# The CLI.

# The command words of the CLI, to name what an invocation ran ("instance ports update").
COMMAND_WORDS = {
    "instance", "image", "storage", "disk", "ports", "schedule", "software",
    "zones", "families", "search", "list", "show", "create", "start", "stop", "reboot", "delete",
    "wait", "rename", "password", "reinstall", "resize", "price", "resize-price", "billing",
    "refund", "monitor", "charge", "network", "models", "update", "set", "extend", "cancel", "ssh",
    "progress", "shares", "share", "unshare", "publish", "favorite", "unfavorite", "tags", "attach",
    "detach", "bogus",
}


class Result:
    def __init__(self, args, code, stdout, stderr, seconds):
        self.args = args
        self.code = code
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
        self.doc = None
        self.parse_error = None
        lines = [line for line in stdout.splitlines() if line.strip()]
        if len(lines) != 1:
            self.parse_error = "expected exactly one JSON line on stdout, got {}".format(len(lines))
        else:
            try:
                self.doc = json.loads(lines[0])
            except ValueError as e:
                self.parse_error = "stdout is not JSON ({})".format(e)

    def describe(self):
        out = "`compshare --json {}` exited {}".format(" ".join(self.args), self.code)
        if self.parse_error:
            out += "; {}; stdout: {!r}; stderr: {!r}".format(self.parse_error, short(self.stdout), short(self.stderr.strip(), 400))
        else:
            out += "; answered {}".format(short(self.doc))
        return out


class Cli:
    """Runs `compshare --json …` through the wrapper, as one account, in a private HOME."""

    def __init__(self, public_key, private_key, home):
        self.home = home
        os.makedirs(home, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPSHARE_")}
        env.update(
            {
                "HOME": home,
                "XDG_CONFIG_HOME": os.path.join(home, ".config"),
                "XDG_CACHE_HOME": os.path.join(home, ".cache"),
                "XDG_STATE_HOME": os.path.join(home, ".local", "state"),
                "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
                "COMPSHARE_CONFIG_FILE": os.path.join(home, "compshare", "config.json"),
                "COMPSHARE_SSH_CACHE_FILE": os.path.join(home, "compshare", "ssh-cache.json"),
                "COMPSHARE_TEMPLATE_FILE": os.path.join(home, "compshare", "templates.json"),
                "COMPSHARE_PUBLIC_KEY": public_key,
                "COMPSHARE_PRIVATE_KEY": private_key,
                "COMPSHARE_LANG": "en",
                "OCS_COMPAT_BASE_URL": Env.base_url,
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        self.env = env
        self.lock = threading.Lock()
        self.invocations = 0
        self.commands = set()

    def _record(self, args):
        words = []
        for token in args:
            if token.startswith("-") and not words:
                continue  # a root option: --show-sensitive
            if token.startswith("-") or token not in COMMAND_WORDS:
                break
            words.append(token)
        with self.lock:
            self.invocations += 1
            self.commands.add(" ".join(words))

    def argv(self, args, json_output=True):
        return [sys.executable, WRAPPER, *(["--json"] if json_output else []), *args]

    def run(self, *args, timeout=CALL_TIMEOUT_S, extra_env=None):
        args = [str(a) for a in args]
        self._record(args)
        env = dict(self.env, **(extra_env or {}))
        started = time.monotonic()
        try:
            p = subprocess.run(self.argv(args), env=env, cwd=self.home, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise CheckFailed("`compshare --json {}` did not finish within {} s (stdout {!r})".format(
                " ".join(args), timeout, short((e.stdout or b"").decode("utf8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or ""))))
        return Result(args, p.returncode, p.stdout, p.stderr, time.monotonic() - started)

    def start(self, *args):
        """Starts an invocation without waiting for it; finish() collects it."""
        args = [str(a) for a in args]
        self._record(args)
        p = subprocess.Popen(self.argv(args), env=self.env, cwd=self.home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return (args, p, time.monotonic())

    @staticmethod
    def finish(started, timeout=CALL_TIMEOUT_S):
        args, p, t0 = started
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise CheckFailed("`compshare --json {}` did not finish within {} s".format(" ".join(args), timeout))
        return Result(args, p.returncode, out, err, time.monotonic() - t0)

    # --- answers -------------------------------------------------------------------------

    def ok(self, *args, **kw):
        """Runs a command that must succeed; returns its `data`."""
        return ok(self.run(*args, **kw))

    def ok_doc(self, *args, **kw):
        """Runs a command that must succeed; returns the whole envelope."""
        r = self.run(*args, **kw)
        ok(r)
        return r.doc


def envelope(r):
    if r.doc is None:
        raise CheckFailed(r.describe())
    expect(isinstance(r.doc, dict), "the answer is not a JSON object: " + r.describe())
    equal(r.doc.get("schema_version"), "1", "schema_version of " + r.describe())
    return r.doc


def ok(r):
    doc = envelope(r)
    if r.code != 0 or doc.get("ok") is not True:
        raise CheckFailed("expected success: " + r.describe())
    expect("data" in doc, "a success envelope without data: " + r.describe())
    return doc["data"]


def failed(r, exit_code, code):
    doc = envelope(r)
    if doc.get("ok") is not False:
        raise CheckFailed("expected a failure ({}), but: {}".format(code, r.describe()))
    err = doc.get("error")
    expect(isinstance(err, dict), "the failure has no error object: " + r.describe())
    equal(err.get("code"), code, "error.code of " + r.describe())
    expect(isinstance(err.get("message"), str) and err["message"], "error.message is empty: " + r.describe())
    equal(r.code, exit_code, "exit code of " + r.describe())
    return err


def check_api_details(details, ret_code, action, what):
    expect(isinstance(details, dict), "{}: no error details".format(what))
    equal(details.get("ret_code"), ret_code, "{}: RetCode".format(what))
    if action is not None:
        equal(details.get("action"), action, "{}: action".format(what))
    expect(UUID_RE.match(str(details.get("request_uuid") or "")), "{}: request_uuid is not the X-UCLOUD-REQUEST-UUID: {!r}".format(what, details.get("request_uuid")))


def api_error(r, ret_code, action=None, symbol=None):
    """A single API call's RetCode ≠ 0: error.code api_error, exit 1."""
    err = failed(r, 1, "api_error")
    check_api_details(err.get("details"), ret_code, action, r.describe())
    if symbol is not None:
        expect(err["message"].startswith(symbol + ": "), "error.message should start with {!r}: {}".format(symbol + ": ", r.describe()))
    return err


def usage_error(r, contains=None):
    """The CLI refused the command itself: error.code invalid_usage, exit 2."""
    err = failed(r, 2, "invalid_usage")
    if contains is not None:
        expect(contains in err["message"], "error.message should contain {!r}: {}".format(contains, r.describe()))
    return err


def batch_failure(r, instance, ret_code=None, action=None, symbol=None):
    """A batch command (start/stop/reboot/delete/wait) with a failed instance: partial_failure, exit 1."""
    err = failed(r, 1, "partial_failure")
    details = err.get("details") or {}
    fails = [f for f in details.get("failed") or [] if f.get("instance") == instance]
    expect(len(fails) == 1, "details.failed should name {}: {}".format(instance, r.describe()))
    inner = fails[0].get("error") or {}
    expect(isinstance(inner.get("message"), str) and inner["message"], "failed[].error.message is empty: " + r.describe())
    if ret_code is not None:
        check_api_details(inner, ret_code, action, r.describe())
    if symbol is not None:
        expect(inner["message"].startswith(symbol + ": "), "failed[].error.message should start with {!r}: {}".format(symbol + ": ", r.describe()))
    return inner


def batch_ok(data, instance, action):
    """The data of a successful batch command; returns the instance's entry."""
    equal(data.get("action"), action, "data.action")
    equal(data.get("failed"), [], "data.failed")
    mine = [s for s in data.get("succeeded") or [] if s.get("instance") == instance]
    expect(len(mine) == 1, "data.succeeded should name {}: {}".format(instance, short(data)))
    return mine[0]


def described(answer, instance):
    """The host a DescribeCompShareInstance answer (as the CLI embeds it) gives for instance."""
    expect(isinstance(answer, dict), "no DescribeCompShareInstance answer: {}".format(short(answer)))
    hosts = [h for h in answer.get("UHostSet") or [] if h.get("UHostId") == instance]
    expect(len(hosts) == 1, "the answer should describe {}: {}".format(instance, short(answer)))
    return hosts[0]


def final_host(entry, instance):
    """The host of the `final` answer an entry carries after --wait."""
    expect(isinstance(entry.get("final"), dict), "no `final` answer: did the CLI wait? {}".format(short(entry)))
    return described(entry["final"], instance)


def until(fn, timeout_s, what, interval_s=0.2):
    """Polls fn (typically a CLI call) until it returns a true value."""
    return checks.until(fn, timeout_s, what, interval_s)


def settle_s():
    """How long any simulated operation may take, with a generous margin for a loaded machine."""
    return checks.settle_budget_s(Env.boot_ms, Env.image_ms)


class Suite(checks.Suite):
    def done(self, clis=()):
        invocations = sum(c.invocations for c in clis)
        commands = sorted(set().union(*(c.commands for c in clis))) if clis else []
        super().done(["{} CLI invocations, {} distinct commands: {}".format(invocations, len(commands), "; ".join(commands))])


def temp_home():
    home = tempfile.mkdtemp(prefix="ocs-compshare-cli-")
    return home


def remove_home(home):
    shutil.rmtree(home, ignore_errors=True)
