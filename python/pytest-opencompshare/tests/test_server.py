"""The server process: finding ocs, a start that fails, and stopping it whatever happens."""
import os
import signal
import stat
import textwrap
import time

import pytest

from conftest import alive
from pytest_opencompshare import Server, ServerError, find_ocs, server as server_mod


def script(path, body):
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_an_explicit_ocs_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(ServerError, match="does not exist"):
        find_ocs(str(tmp_path / "nowhere" / "ocs.js"))


def test_another_program_named_ocs_on_path_is_not_run(tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    script(tmp_path / "ocs", "touch {}\n".format(marker))
    monkeypatch.setenv("PATH", "{}{}{}".format(tmp_path, os.pathsep, os.environ["PATH"]))
    monkeypatch.delenv("OCS_BIN", raising=False)
    monkeypatch.setattr(server_mod, "_checkout_bin", lambda starts: None)
    with pytest.raises(ServerError, match="is another program"):
        find_ocs()
    assert not marker.exists()


def test_the_checkout_is_found_above_the_tests(ocs_command):
    assert ocs_command[-1].endswith(os.path.join("packages", "cli", "bin", "ocs.js"))


def test_the_environment_drops_the_callers_ocs_settings(tmp_path):
    env = server_mod.server_env(tmp_path, {"OCS_SOFT_TIMEOUT_MS": "5000"}, base={"PATH": "/bin", "OCS_DATABASE_URL": "postgres://x/y", "OCS_PORT": "8080"})
    assert env["PATH"] == "/bin"
    assert "OCS_DATABASE_URL" not in env
    assert env["OCS_PORT"] == "0" and env["OCS_TESTING"] == "1" and env["OCS_INITIAL_BALANCE"] == "1000000"
    assert env["OCS_DATA_DIR"] == str(tmp_path) and env["OCS_SOFT_TIMEOUT_MS"] == "5000"


def test_a_server_that_exits_at_start_raises_with_its_log_tail(tmp_path):
    bad = script(tmp_path / "bad-ocs", "echo 'ocs: OCS_PORT (--port) must be a non-negative integer' >&2\nexit 2\n")
    server = Server(tmp_path / "work", command=[bad], start_timeout=10)
    with pytest.raises(ServerError) as e:
        server.start()
    assert "exited with code 2" in str(e.value)
    assert "must be a non-negative integer" in str(e.value)


def test_a_server_never_ready_is_killed_and_reported(tmp_path):
    pidfile = tmp_path / "pid"
    slow = script(tmp_path / "slow-ocs", "echo $$ > {}\necho 'still migrating'\nexec sleep 600\n".format(pidfile))
    server = Server(tmp_path / "work", command=[slow], start_timeout=1)
    with pytest.raises(ServerError, match="not ready within 1 s") as e:
        server.start()
    assert "still migrating" in str(e.value)
    assert not alive(int(pidfile.read_text()))


def test_stop_kills_a_server_that_ignores_sigterm(tmp_path):
    trapped = tmp_path / "trapped"
    stubborn = script(tmp_path / "stubborn", "trap '' TERM\ntouch {}\nexec sleep 600\n".format(trapped))
    server = Server(tmp_path / "work", command=[stubborn])
    server.process = server_mod.subprocess.Popen(server.command, start_new_session=True)
    deadline = time.monotonic() + 10
    while not trapped.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert alive(server.pid)
    assert server.stop(timeout=0.5) == -signal.SIGKILL
    assert not alive(server.pid)
    assert server.stop() == -signal.SIGKILL  # a second stop is harmless


def test_a_real_server_starts_answers_and_stops(tmp_path, ocs_command):
    with Server(tmp_path, command=ocs_command) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert set(server.credentials) >= {"AccountId", "ProjectId", "PublicKey", "PrivateKey"}
        pid = server.pid
        assert alive(pid)
    assert server.process.returncode == 0
    assert not alive(pid)


INNER = """
import os

def test_{name}({fixture}):
    with open(os.environ["PIDFILE"], "w") as f:
        f.write(str({fixture}.server.pid))
    raise AssertionError("this test fails on purpose")
"""


@pytest.mark.parametrize("fixture", ["compshare", "compshare_isolated"])
def test_the_server_stops_when_a_test_fails(pytester, ocs_command, monkeypatch, fixture):
    pidfile = pytester.path / "pid"
    monkeypatch.setenv("PIDFILE", str(pidfile))
    pytester.makepyfile(INNER.format(name="fails", fixture=fixture))
    result = pytester.runpytest_subprocess("--compshare-ocs=" + ocs_command[-1], "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*compshare server log*"])
    assert not alive(int(pidfile.read_text()))
