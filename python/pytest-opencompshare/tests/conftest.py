"""The plugin's own tests. They need the opencompshare checkout around them (built: npm run build)."""
from pathlib import Path

import pytest

from pytest_opencompshare import find_ocs

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[3]
DOCS = REPO / "docs" / "testing.md"


@pytest.fixture(scope="session")
def ocs_command():
    """How the checkout's ocs is run: what the tests give inner pytest runs as --compshare-ocs."""
    return find_ocs(search_from=(REPO,))


def alive(pid):
    """True while `pid` is a live process (a zombie, reaped by no one, counts as gone)."""
    try:
        with open("/proc/{}/stat".format(pid)) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False
