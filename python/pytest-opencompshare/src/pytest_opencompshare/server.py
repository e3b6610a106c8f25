"""Starting and stopping an `ocs serve` process in testing mode.

The server listens on a free port (OCS_PORT=0; the port is read from its "serving on" line),
keeps its data in a fresh directory, and is ready when GET /readyz answers 200. Its output goes
to a log file next to the data directory; a start that fails raises ServerError with the log's
tail. `stop()` sends SIGTERM, waits, then kills: it is safe to call twice.
"""
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

# The checkout's command line, relative to a repository root.
CHECKOUT_BIN = Path("packages") / "cli" / "bin" / "ocs.js"

DEFAULT_ENV = {
    "OCS_TESTING": "1",
    "OCS_HOST": "127.0.0.1",
    "OCS_PORT": "0",
    "OCS_INITIAL_BALANCE": "1000000",
    "OCS_SIM_BOOT_MS": "300",
    "OCS_SIM_IMAGE_MS": "2000",
    "OCS_LOG_LEVEL": "warn",
    "OCS_SHUTDOWN_GRACE_S": "2",
}

SERVING_RE = re.compile(r"ocs: serving on (http://[^\s]+)")

_running = set()


class ServerError(RuntimeError):
    """The server could not be found, started, or did not become ready."""


def log_tail(path, lines=40):
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.rstrip().splitlines()[-lines:]) or "(empty log)"


def _is_ours(path):
    """True when `path` (an `ocs` on PATH) is opencompshare's command line, not another tool's."""
    real = os.path.realpath(path)
    if real.endswith(os.path.join("cli", "bin", "ocs.js")):
        return True
    try:
        with open(real, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return b"node" in head.split(b"\n", 1)[0] and b"opencompshare" in head


def _checkout_bin(starts):
    for start in starts:
        for d in [Path(start).resolve(), *Path(start).resolve().parents]:
            if (d / CHECKOUT_BIN).is_file():
                return d / CHECKOUT_BIN
    return None


def find_ocs(explicit=None, search_from=()):
    """The command that runs `ocs`, as a list: an explicit path (an option or OCS_BIN), the
    checkout's packages/cli/bin/ocs.js found above this file or `search_from`, or `ocs` on PATH."""
    node = shutil.which("node")
    explicit = explicit or os.environ.get("OCS_BIN")
    if explicit:
        if not os.path.exists(explicit):
            raise ServerError("OCS_BIN (--compshare-ocs) names {}, which does not exist".format(explicit))
        if explicit.endswith(".js"):
            if not node:
                raise ServerError("node is not on PATH: it is needed to run {}".format(explicit))
            return [node, explicit]
        return [explicit]
    found = _checkout_bin([Path(__file__).parent, *search_from])
    if found:
        if not node:
            raise ServerError("node is not on PATH: it is needed to run {}".format(found))
        return [node, str(found)]
    on_path = shutil.which("ocs")
    if on_path and _is_ours(on_path):
        return [on_path]
    raise ServerError(
        "no opencompshare server found: set OCS_BIN (or --compshare-ocs) to packages/cli/bin/ocs.js "
        "of a checkout, or install the command line (npm install -g @opencompshare/cli)"
        + (" ({} on PATH is another program)".format(on_path) if on_path else "")
    )


def server_env(data_dir, extra=None, base=None):
    """The server's environment: this process's, less its OCS_* settings, plus the defaults and `extra`."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if not k.startswith("OCS_")}
    env.update(DEFAULT_ENV)
    env["OCS_DATA_DIR"] = str(data_dir)
    env.update({k: str(v) for k, v in (extra or {}).items()})
    return env


class Server:
    """One `ocs serve` process. Use `start()`, then `stop()` (or `with Server(...) as s:`)."""

    def __init__(self, workdir, command=None, env=None, start_timeout=60.0, search_from=()):
        self.workdir = Path(workdir)
        self.data_dir = self.workdir / "data"
        self.log_path = self.workdir / "server.log"
        self.command = command or find_ocs(search_from=search_from)
        self.env = server_env(self.data_dir, env)
        self.start_timeout = start_timeout
        self.process = None
        self.base_url = None
        self.credentials = None

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def start(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command + ["serve"],
                env=self.env,
                cwd=str(self.workdir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _running.add(self)
        try:
            self._wait_ready()
            self.credentials = self._read_credentials()
        except BaseException:
            self.stop()
            raise
        return self

    def _fail(self, why):
        return ServerError("{} ({}); the end of {}:\n{}".format(why, " ".join(self.command + ["serve"]), self.log_path, log_tail(self.log_path)))

    def _wait_ready(self):
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self._fail("the server exited with code {} before it was ready".format(self.process.returncode))
            if self.base_url is None:
                m = SERVING_RE.search(log_tail(self.log_path, 200))
                if m:
                    self.base_url = m.group(1)
            elif _status(self.base_url + "/readyz") == 200:
                return
            time.sleep(0.05)
        raise self._fail("the server was not ready within {:.0f} s".format(self.start_timeout))

    def _read_credentials(self):
        path = self.data_dir / "default-credentials.json"
        if not path.is_file():
            raise self._fail("{} is missing: the server uses fixed keys (OCS_PUBLIC_KEY); let it generate them".format(path))
        return json.loads(path.read_text(encoding="utf-8"))

    def stop(self, timeout=15.0):
        """SIGTERM, then SIGKILL after `timeout` seconds; returns the exit code (None if never started)."""
        _running.discard(self)
        proc = self.process
        if proc is None:
            return None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    proc.kill()
                proc.wait()
        return proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _status(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (OSError, ValueError):
        return None


@atexit.register
def _stop_all():
    """A last resort: no server outlives the test process, even when a teardown did not run."""
    for server in list(_running):
        try:
            server.stop(timeout=5)
        except Exception as e:  # noqa: BLE001  (exit must go on)
            print("pytest-opencompshare: could not stop server {}: {}".format(server.pid, e), file=sys.stderr)
