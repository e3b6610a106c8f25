"""Runs the official CompShare CLI (compshare-cli, unmodified) against our server.

This wrapper is the suite's only adaptation of the CLI, and it changes two settings, nothing else:

1. The endpoint. The CLI has no option or environment variable for its API address: every call
   goes through `compshare_cli.config.Profile.sdk_config()`, which puts the module-level name
   `compshare_cli.config.DEFAULT_BASE_URL` into the SDK's config as `base_url`. That name is read
   from the module's globals each time sdk_config() runs (not copied at import time), so setting
   it here, before the CLI runs, points every API call at `$OCS_COMPAT_BASE_URL`.

2. Telemetry. After every command the CLI reports the command's name from a detached
   subprocess (`python -m compshare_cli.insights event …`, action CreateCSCLIEvent) to
   `$COMPSHARE_INSIGHTS_URL`, which defaults to https://api.compshare.cn. With that variable set
   to "" (`insights._base_url()` returns "" and `record_command()` returns at once) nothing is
   sent and no subprocess is started. It is set in os.environ before anything of the CLI is
   imported, so it holds for this process and anything it might start.

Then it calls `compshare_cli.cli.main(sys.argv[1:])`, exactly what the `compshare` console
script does. Usage: python compshare_local.py [compshare arguments…]
"""
import os
import sys

os.environ["COMPSHARE_INSIGHTS_URL"] = ""

import compshare_cli.config  # noqa: E402  (after the environment is set)

compshare_cli.config.DEFAULT_BASE_URL = os.environ["OCS_COMPAT_BASE_URL"]

from compshare_cli.cli import main  # noqa: E402

if __name__ == "__main__":
    main(sys.argv[1:])
