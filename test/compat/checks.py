"""What the Python suites of the compatibility run share (test/compat/python, test/compat/compshare-cli).

Assertions that raise CheckFailed, polling, the time budget of a simulated operation, and the
Suite: named checks that print `ok - …` / `not ok - …` (what test/compat/run.ts counts), with
prerequisites, tracks run in threads, and a trailer line `# PREFIX: …` before exiting.
"""

import json
import os
import subprocess
import sys
import threading
import time
import traceback


class CheckFailed(Exception):
    pass


def expect(cond, message):
    if not cond:
        raise CheckFailed(message)


def equal(got, want, what):
    if got != want:
        raise CheckFailed("{}: got {!r}, want {!r}".format(what, got, want))


def until(fn, timeout_s, what, interval_s=0.05):
    """Polls fn until it returns a true value; fails after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > deadline:
            raise CheckFailed("timed out after {:.1f}s waiting for {}".format(timeout_s, what))
        time.sleep(interval_s)


def operator_review(image, approve=True, reason=None):
    """The operator's verdict on a community version in review: `ocs image review IMAGE --approve`
    or `--reject --reason TEXT`, on the server's data directory (the command line is
    OCS_COMPAT_REVIEW_COMMAND, a JSON array, from test/compat/run.ts). Returns what it prints."""
    command = json.loads(os.environ["OCS_COMPAT_REVIEW_COMMAND"])
    verdict = ["--approve"] if approve else ["--reject", "--reason", reason]
    done = subprocess.run(command + [image] + verdict, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise CheckFailed("ocs image review {} {}: exit {}: {}".format(image, " ".join(verdict), done.returncode, done.stderr.strip()))
    return json.loads(done.stdout.strip().splitlines()[-1])


def operator_balance(verb, account, cny=None):
    """The operator's `ocs balance show|set|topup ACCOUNT [CNY]` on the server's data directory
    (OCS_COMPAT_BALANCE_COMMAND, from test/compat/run.ts). Returns the JSON it prints."""
    command = json.loads(os.environ["OCS_COMPAT_BALANCE_COMMAND"])
    args = command[:2] + [command[2], verb] + command[3:] + [account] + ([] if cny is None else [str(cny)])
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise CheckFailed("ocs balance {} {}: exit {}: {}".format(verb, account, done.returncode, done.stderr.strip()))
    return json.loads(done.stdout)


def settle_budget_s(boot_ms, image_ms):
    """How long any simulated operation may take, with a generous margin for a loaded machine."""
    return 20 + 10 * (boot_ms + image_ms) / 1000


class Suite:
    """Checks by name. `client_errors` are exceptions shown by their message alone (no traceback)."""

    def __init__(self, prefix, client_errors=()):
        self.prefix = prefix
        self.passed = 0
        self.failed = 0
        self.state = {}
        self.client_errors = tuple(client_errors)
        self.lock = threading.Lock()

    def _print(self, line):
        with self.lock:
            print(line, flush=True)

    def _fail(self, line):
        with self.lock:
            self.failed += 1
            print(line, flush=True)

    def check(self, name, fn, needs=()):
        missing = [n for n in needs if n not in self.state]
        label = "{}: {}".format(self.prefix, name)
        if missing:
            self._fail("not ok - {}: prerequisite failed ({})".format(label, ", ".join(missing)))
            return None
        started = time.monotonic()
        try:
            result = fn()
        except CheckFailed as e:
            self._fail("not ok - {}: {}".format(label, e))
            return None
        except self.client_errors as e:
            self._fail("not ok - {}: unexpected {}: {}".format(label, type(e).__name__, e))
            return None
        except Exception as e:  # noqa: BLE001 - any crash of a check is its failure
            lines = ["not ok - {}: {}: {}".format(label, type(e).__name__, e)]
            lines += ["#   " + line for line in traceback.format_exc().splitlines()]
            self._fail("\n".join(lines))
            return None
        with self.lock:
            self.passed += 1
        self._print("ok - {} ({:.1f}s)".format(label, time.monotonic() - started))
        return result

    def tracks(self, *fns):
        """Runs each track in its own thread and waits for all of them."""
        threads = [threading.Thread(target=self._track, args=(fn,), name=fn.__name__) for fn in fns]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def _track(self, fn):
        started = time.monotonic()
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - a crashed track is a failure, never a silent stop
            self._fail("not ok - {}: track {} crashed: {}: {}".format(self.prefix, fn.__name__, type(e).__name__, e))
        self._print("# {}: {} done in {:.1f}s".format(self.prefix, fn.__name__, time.monotonic() - started))

    def done(self, notes=()):
        """Prints `notes` as comment lines, then the trailer, and exits (1 when a check failed)."""
        for note in notes:
            print("# {}: {}".format(self.prefix, note), flush=True)
        print("# {}: {} passed, {} failed".format(self.prefix, self.passed, self.failed), flush=True)
        sys.exit(1 if self.failed else 0)
