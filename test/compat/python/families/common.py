"""What the families share: the Region and Zone of every request (`on`, `inst`), the names of the
second account and of an instance that does not exist, the type checks of JSON numbers, and the
instance helpers of an account (`create_on`, `terminate_on`).
"""
from harness import terminate_stopped, REGION, ZONE, create_running, wait_gone, when_free


on = {"Region": REGION, "Zone": ZONE}
OTHER_NAME = "compat-other"  # the name test/compat/run.ts gives the second account
NOT_FOUND = "uhost-doesnotexist"


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def inst(uhost_id, **extra):
    d = dict(on, UHostId=uhost_id)
    d.update(extra)
    return d


def create_on(sdk):
    """`create(name, **extra)`: a Running instance of sdk's account."""

    def create(name, **extra):
        return create_running(sdk, Name=name, **extra)

    return create


def terminate_on(sdk):
    """`terminate(uhost_id)`: sdk's instance terminated once free, and gone."""

    def terminate(uhost_id):
        terminate_stopped(sdk, inst(uhost_id))
        wait_gone(sdk, uhost_id)

    return terminate
