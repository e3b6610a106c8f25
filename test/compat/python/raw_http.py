"""Raw HTTP, signed with the SDK's own signer: a GET with a query string, a JSON body with native
types, a Go-style POST with Action in the query and the body, and a form body with empty values
(signed, and refused when one is left out of the signature).
"""
import requests
from ucloud.core.auth import Credential

from harness import (
    terminate_stopped,
    CREATE,
    REGION,
    UUID_RE,
    ZONE,
    CheckFailed,
    Env,
    equal,
    expect,
    wait_gone,
    wait_state,
)
from session import on_instance, s, sdk


cred = Credential(Env.public_key, Env.private_key)


def signed(params):
    p = dict(params)
    p["Signature"] = cred.verify_ac(p)  # adds PublicKey to p, then signs
    return p


def answer(resp, action):
    equal(resp.status_code, 200, "HTTP status")
    expect(UUID_RE.match(resp.headers.get("X-UCLOUD-REQUEST-UUID", "")), "X-UCLOUD-REQUEST-UUID header: {!r}".format(resp.headers.get("X-UCLOUD-REQUEST-UUID")))
    body = resp.json()
    equal(body.get("Action"), action + "Response", "Action")
    return body


def ok(body):
    if body.get("RetCode") != 0:
        raise CheckFailed("RetCode {}: {}".format(body.get("RetCode"), body.get("Message")))
    return body


def raw_get():
    r = requests.get(Env.base_url + "/", params=signed({"Action": "DescribeCompShareImages", "Region": REGION, "Limit": 2, "ImageType": "App"}), timeout=30)
    body = ok(answer(r, "DescribeCompShareImages"))
    equal(len(body["ImageSet"]), 2, "ImageSet with Limit=2")
    expect(isinstance(body["TotalCount"], int) and not isinstance(body["TotalCount"], bool), "TotalCount is a JSON number")


def raw_json():
    create = dict(CREATE, Action="CreateCompShareInstance", Region=REGION, Name="raw-json")
    create.update({"Disks.0.IsBoot": True, "Disks.0.Size": 70, "Disks.0.Type": "CLOUD_SSD", "EnableUS3": False})
    r = requests.post(Env.base_url + "/", json=signed(create), timeout=30)
    ids = ok(answer(r, "CreateCompShareInstance"))["UHostIds"]
    equal(len(ids), 1, "UHostIds")
    s.state["raw"] = ids[0]
    describe = {"Action": "DescribeCompShareInstance", "Region": REGION, "Limit": 10, "Offset": 0, "WithoutGpu": False, "UHostIds.0": ids[0]}
    r = requests.post(Env.base_url + "/", json=signed(describe), timeout=30)
    body = ok(answer(r, "DescribeCompShareInstance"))
    equal(body["TotalCount"], 1, "TotalCount")
    h = body["UHostSet"][0]
    equal((h["Name"], h["TotalDiskSpace"]), ("raw-json", 70), "Name and TotalDiskSpace")
    wait_state(sdk, ids[0], "Running")


def raw_go_style():
    uhost = s.state["raw"]
    params = signed({"Action": "RebootCompShareInstance", "Region": REGION, "Zone": ZONE, "UHostId": uhost})
    r = requests.post(Env.base_url + "/?Action=RebootCompShareInstance", data=params, timeout=30)
    body = ok(answer(r, "RebootCompShareInstance"))
    equal(body["UHostId"], uhost, "UHostId")
    wait_state(sdk, uhost, "Running")


def raw_empty_values():
    uhost = s.state["raw"]
    params = signed({"Action": "DescribeCompShareInstance", "Region": REGION, "Zone": "", "ProjectId": "", "UHostIds.0": uhost})
    body = ok(answer(requests.post(Env.base_url + "/", data=params, timeout=30), "DescribeCompShareInstance"))
    equal(body["TotalCount"], 1, "TotalCount with Zone= and ProjectId=")
    params = signed({"Action": "DescribeCompShareImages", "Region": REGION, "Name": "", "Tag": "", "ImageType": "", "CompShareImageId": ""})
    body = ok(answer(requests.post(Env.base_url + "/", data=params, timeout=30), "DescribeCompShareImages"))
    expect(body["TotalCount"] >= 3, "TotalCount with empty filters: {}".format(body["TotalCount"]))
    # The empty values are signed: dropping one from the signature is refused.
    params = {"Action": "DescribeCompShareImages", "Region": REGION, "Name": ""}
    sig = cred.verify_ac({"Action": "DescribeCompShareImages", "Region": REGION})
    params.update(PublicKey=Env.public_key, Signature=sig)
    body = answer(requests.post(Env.base_url + "/", data=params, timeout=30), "DescribeCompShareImages")
    equal(body.get("RetCode"), 171, "RetCode when the empty value is not signed")


def raw_cleanup():
    uhost = s.state["raw"]
    terminate_stopped(sdk, on_instance(uhost))
    wait_gone(sdk, uhost)


def run():
    s.check("Raw HTTP: GET with a query string", raw_get)
    s.check("Raw HTTP: JSON body with native types (Create, Describe)", raw_json)
    s.check("Raw HTTP: Go-style POST /?Action=… with Action in query and body", raw_go_style, needs=["raw"])
    s.check("Raw HTTP: form body with empty values", raw_empty_values, needs=["raw"])
    s.check("Raw HTTP: terminate the raw instance", raw_cleanup, needs=["raw"])
