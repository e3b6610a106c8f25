# The seed document's Python example, unchanged except for
# base_url, the key pair and the UHostId, which come from the environment so that the
# compatibility runner can point it at the local server and at an instance it created.
import os

from ucloud.core import exc
from ucloud.client import Client


def main():
    client = Client({
        "region": "cn-wlcb",
        "public_key": os.environ["OCS_COMPAT_PUBLIC_KEY"],  # changed: was "my_public_key"
        "private_key": os.environ["OCS_COMPAT_PRIVATE_KEY"],  # changed: was "my_private_key"
        "base_url": os.environ["OCS_COMPAT_BASE_URL"],  # changed: was "https://api.compshare.cn"
    })

    try:
        resp = client.ucompshare().invoke("RebootCompShareInstance", {
            "Region": "cn-wlcb",
            "Zone": "cn-wlcb-01",
            "UHostId": os.environ["OCS_COMPAT_UHOST_ID"],  # changed: was "uhost-xxxx"
        })
        print("重启成功:", resp.get("UHostId"))
    except exc.UCloudException as e:
        print(e)


if __name__ == "__main__":
    main()
