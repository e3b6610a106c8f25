"""Logins as CompShare's guide gives them (登录GPU实例), through the official SDK's
DescribeCompShareInstance: an instance of a system image (Ubuntu, InstanceType UHost) logs in as
ubuntu on port 22, one of a base image or a community image (InstanceType Container) as root on
port 23. SshLoginCommand names the instance's public address, which IPSet lists after the private
one (Type Bgp, an IPId, integers for Bandwidth and Weight, as the docs' example); on the simulated
fleet it comes from RFC 5737's documentation ranges, is each instance's own, and stays through a
stop and a start. The instances are terminated at the end.
"""
import re

from harness import PYTORCH, UBUNTU, describe_one, equal, expect, wait_state, when_free

from .common import create_on, inst, is_int, terminate_on

COMMUNITY = "compshareImage-community-sdwebui"
DOCUMENTATION = re.compile(r"^(203\.0\.113|198\.51\.100|192\.0\.2)\.\d{1,3}$")


def public_of(h):
    pub = [ip for ip in h["IPSet"] if ip.get("Type") != "Private"]
    equal(len(pub), 1, "public addresses in IPSet {}".format(h["IPSet"]))
    return pub[0]


def run(s, sdk, other):
    create = create_on(sdk)
    terminate = terminate_on(sdk)
    keys = ("login_vm", "login_container", "login_community")

    def login(key, image, instance_type, command):
        def check():
            uhost_id = create("py-" + key.replace("_", "-"), CompShareImageId=image, ChargeType="Postpay")
            s.state[key] = uhost_id
            h = describe_one(sdk, uhost_id)
            equal(h["InstanceType"], instance_type, "InstanceType of an instance of {}".format(image))
            ip = public_of(h)["IP"]
            expect(DOCUMENTATION.match(ip), "a documentation address: {!r}".format(ip))
            equal(h["SshLoginCommand"], command.format(ip=ip), "SshLoginCommand of an instance of {}".format(image))

        return check

    def ipset():
        vm = s.state["login_vm"]
        describe_one(sdk, vm)
        raw = [h for h in sdk.raw["UHostSet"] if h["UHostId"] == vm][0]["IPSet"]
        equal([ip["Type"] for ip in raw], ["Private", "Bgp"], "IPSet's Types: the private address, then the public one")
        private, public = raw
        expect(re.match(r"^10\.\d+\.\d+\.\d+$", private["IP"]), "a private address: {!r}".format(private["IP"]))
        equal((private["Default"], public["IPMode"]), ("true", "IPv4"), "Default of the private address, IPMode of the public one")
        expect(re.match(r"^eip-[0-9a-f]{8}$", public["IPId"]), "the public address's IPId: {!r}".format(public["IPId"]))
        for ip in raw:
            expect(is_int(ip["Bandwidth"]) and is_int(ip["Weight"]), "Bandwidth and Weight are integers: {}".format(ip))
            for key in ("IP", "IPId", "IPMode", "Type", "Default", "Mac", "VPCId", "SubnetId", "NetworkInterfaceId"):
                expect(isinstance(ip[key], str), "{} is a string: {}".format(key, ip))

    def distinct():
        ips = [public_of(describe_one(sdk, s.state[k]))["IP"] for k in keys]
        equal(len(set(ips)), 3, "each instance's own public address: {}".format(ips))

    def kept():
        vm = s.state["login_vm"]
        before = describe_one(sdk, vm)["SshLoginCommand"]
        when_free(lambda: sdk.typed("stop_comp_share_instance", inst(vm)))
        wait_state(sdk, vm, "Stopped")
        when_free(lambda: sdk.typed("start_comp_share_instance", inst(vm)))
        wait_state(sdk, vm, "Running")
        equal(describe_one(sdk, vm)["SshLoginCommand"], before, "SshLoginCommand after a stop and a start")

    def cleanup():
        for k in keys:
            if k in s.state:
                terminate(s.state.pop(k))

    s.check("a system image's instance (Ubuntu, UHost): ssh ubuntu@ its public address, port 22", login("login_vm", UBUNTU, "UHost", "ssh ubuntu@{ip}"))
    s.check("a base image's instance (Container): ssh -p 23 root@ its public address", login("login_container", PYTORCH, "Container", "ssh -p 23 root@{ip}"))
    s.check("a community image's instance (Container): ssh -p 23 root@ its public address", login("login_community", COMMUNITY, "Container", "ssh -p 23 root@{ip}"))
    s.check("IPSet: the private address, then the public one (Bgp), with the docs' JSON types", ipset, needs=["login_vm"])
    s.check("every instance has its own public address", distinct, needs=list(keys))
    s.check("the login and the address stay through a stop and a start", kept, needs=["login_vm"])
    s.check("the login checks' instances terminated", cleanup)
