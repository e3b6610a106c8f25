"""The suite's shared session: the check runner (`s`, whose `s.state` carries what a check made to
the checks that need it), the SDK client of the default account (`sdk`) and of the second one
(`other`), and the Region and Zone every instance request names (`on`, `on_instance`).
"""
from harness import REGION, ZONE, Env, Sdk, Suite


s = Suite("python")
sdk = Sdk()
other = Sdk(Env.other_public_key, Env.other_private_key)
on = {"Region": REGION, "Zone": ZONE}


def on_instance(uhost_id, **extra):
    d = dict(on, UHostId=uhost_id)
    d.update(extra)
    return d
