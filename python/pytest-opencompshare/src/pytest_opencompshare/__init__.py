"""pytest-opencompshare: an opencompshare server in testing mode for your tests.

`compshare` (the session's server, reset before each test) and `compshare_isolated` (a server of
the test's own) yield a `CompShare`: the official SDK's client, the base URL and keys, and the test
controls (faults, the clock, snapshots, reset). See README.md and docs/testing.md.
"""
from .controls import BUSY, IN_PROGRESS, INSTANCE, REGION, ZONE, CompShare
from .server import DEFAULT_ENV, Server, ServerError, find_ocs

__all__ = ["BUSY", "IN_PROGRESS", "INSTANCE", "REGION", "ZONE", "CompShare", "DEFAULT_ENV", "Server", "ServerError", "find_ocs"]
