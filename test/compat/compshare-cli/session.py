"""The suite's shared session: the Suite (`s`), this run's id (`RUN`), the temporary home (`HOME`)
and the two CLIs configured in it: `cli`, the suite's account, and `peer`, the account an image
is shared with.
"""
import os

from harness import Cli, Env, Suite, temp_home


s = Suite("compshare-cli")
RUN = os.urandom(3).hex()  # names what this run publishes, as the community list is shared
HOME = temp_home()
cli = Cli(Env.public_key, Env.private_key, HOME + "/self")
peer = Cli(Env.peer_public_key, Env.peer_private_key, HOME + "/peer")
