"""The official Python SDK (ucloud-sdk-python3) against our server: the seed's example
(seed_checks.py), the typed scenario of every implemented action (scenario.py, then the action
families in families/), the error paths (error_paths.py), and raw HTTP requests (raw_http.py),
run in that order by one Suite (session.py).

Started by test/compat/run.ts with the server's address and keys in the environment.
"""
import error_paths
import families
import raw_http
import scenario
import seed_checks
from session import other, s, sdk

seed_checks.run()
scenario.run()
error_paths.run()
families.run(s, sdk, other)
raw_http.run()

s.done()
