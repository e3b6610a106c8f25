"""The pytest plugin: the `compshare` and `compshare_isolated` fixtures and their options."""
import pytest

from .controls import CompShare
from .server import Server, find_ocs, log_tail

FIXTURES = ("compshare", "compshare_isolated")


def pytest_addoption(parser):
    group = parser.getgroup("opencompshare", "opencompshare test server")
    group.addoption(
        "--compshare-ocs",
        metavar="PATH",
        help="the ocs command to serve with: a checkout's packages/cli/bin/ocs.js or an installed ocs (default: OCS_BIN, the checkout around the tests, then ocs on PATH)",
    )
    group.addoption(
        "--compshare-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an extra environment variable of the server, such as OCS_SOFT_TIMEOUT_MS=5000 (repeatable)",
    )
    group.addoption("--compshare-start-timeout", type=float, default=60.0, metavar="SECONDS", help="how long the server may take to be ready (default 60)")


def pytest_configure(config):
    config.addinivalue_line("markers", "compshare_env(**env): extra environment of the test's own server (compshare_isolated only)")


def _options_env(config):
    env = {}
    for item in config.getoption("compshare_env"):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise pytest.UsageError("--compshare-env takes KEY=VALUE, got {!r}".format(item))
        env[key] = value
    return env


@pytest.fixture(scope="session")
def compshare_env(request):
    """The server's extra environment (over the plugin's defaults). Override it in a conftest.py to
    change a setting for every server; --compshare-env adds to it."""
    return {}


def _start(request, factory, env, marked=None):
    config = request.config
    command = find_ocs(config.getoption("compshare_ocs"), search_from=(config.rootpath, config.invocation_params.dir))
    extra = dict(env)
    extra.update(_options_env(config))
    extra.update(marked or {})
    server = Server(factory.mktemp("compshare"), command=command, env=extra, start_timeout=config.getoption("compshare_start_timeout"))
    server.start()
    return server


@pytest.fixture(scope="session")
def compshare_server(request, tmp_path_factory, compshare_env):
    """The session's server, started on first use and stopped when the session ends."""
    server = _start(request, tmp_path_factory, compshare_env)
    try:
        yield CompShare(server)
    finally:
        server.stop()


@pytest.fixture
def compshare(compshare_server):
    """The session's server, reset to a fresh state (same operator keys) before the test."""
    compshare_server.reset()
    return compshare_server


@pytest.fixture
def compshare_isolated(request, tmp_path_factory, compshare_env):
    """A server of this test's own, stopped at its teardown; @pytest.mark.compshare_env(KEY="value")
    adds to its environment."""
    marked = {}
    for mark in reversed(list(request.node.iter_markers("compshare_env"))):
        marked.update(mark.kwargs)
    server = _start(request, tmp_path_factory, compshare_env, marked)
    try:
        yield CompShare(server)
    finally:
        server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for name in FIXTURES:
            cs = getattr(item, "funcargs", {}).get(name)
            if isinstance(cs, CompShare):
                report.sections.append(("compshare server log ({})".format(cs.log_path), log_tail(cs.log_path)))
