"""The action families beyond the instance lifecycle, through the official Python SDK: catalog,
projects (uaccount), pricing and billing, monitoring, ports, data disks, image sharing and the
community. Every action with a typed method is called through it (`client.ucompshare().xxx()`,
`client.uaccount().get_project_list()`); the actions the SDK lacks go through its generic
`invoke(action, params)`, the path the CompShare CLI uses.

Called by main.py with its Suite and clients; state is shared through `s.state`.
"""
import json
import os
import time

from harness import (
    CREATE,
    create_running,
    PYTORCH,
    REGION,
    UBUNTU,
    ZONE,
    CheckFailed,
    Env,
    Sdk,
    describe_one,
    equal,
    expect,
    expect_error,
    settle_s,
    until,
    wait_gone,
    wait_state,
    when_free,
)

on = {"Region": REGION, "Zone": ZONE}
OTHER_NAME = "compat-other"  # the name test/compat/run.ts gives the second account
NOT_FOUND = "uhost-doesnotexist"
# The sizes of a 4090 (DescribeAvailableCompShareInstanceTypes): GPU n → 16n CPUs, 64n or 96n GB.
SIZE_1 = {"Gpu": 1, "Cpu": 16, "Mem": 64, "ResourceEnough": True}


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def run(s, sdk, other):
    def inst(uhost_id, **extra):
        d = dict(on, UHostId=uhost_id)
        d.update(extra)
        return d

    def create(name, **extra):
        return create_running(sdk, Name=name, **extra)

    def terminate(uhost_id):
        when_free(lambda: sdk.typed("terminate_comp_share_instance", inst(uhost_id)))
        wait_gone(sdk, uhost_id)

    # =========================================================================================
    # Projects: UCloud's account service, typed (uaccount) and through the ucompshare client.

    def projects():
        resp = sdk.typed("get_project_list", {}, service="uaccount")
        equal(resp["ProjectCount"], len(resp["ProjectSet"]), "ProjectCount")
        defaults = [p for p in resp["ProjectSet"] if p["IsDefault"] is True]
        equal(len(defaults), 1, "projects with IsDefault true (a JSON bool)")
        p = defaults[0]
        expect(p["ProjectId"].startswith("org-"), "ProjectId {!r}".format(p["ProjectId"]))
        expect(is_int(p["CreateTime"]) and is_int(p["MemberCount"]) and is_int(p["ResourceCount"]), "counts are ints: {}".format(p))
        s.state["project"] = p["ProjectId"]
        mine = other.typed("get_project_list", {"IsFinance": "No"}, service="uaccount")
        equal([x["ProjectId"] for x in mine["ProjectSet"] if x["IsDefault"]], [Env.other_project_id], "the other account's default project")
        # The CompShare CLI sends it through the ucompshare client, without parameters.
        raw = sdk.invoke("GetProjectList", {})
        equal([x["ProjectId"] for x in raw["ProjectSet"]], [x["ProjectId"] for x in resp["ProjectSet"]], "GetProjectList through invoke")

    def projects_errors():
        wrong = Sdk(project_id="org-doesnotexist")
        expect_error(lambda: wrong.typed("get_project_list", {}, service="uaccount"), 292, "ProjectNotExists", action="GetProjectList")

    s.check("GetProjectList (uaccount typed, and invoke): one default project, IsDefault a bool", projects)
    s.check("GetProjectList with an unknown ProjectId: ProjectNotExists (292)", projects_errors)

    # =========================================================================================
    # Catalog.

    def support_zone():
        resp = sdk.typed("describe_comp_share_support_zone", {"Region": REGION})
        equal([(z["Region"], z["Zone"]) for z in resp["ZoneInfo"]], [(REGION, ZONE)], "ZoneInfo of cn-wlcb")
        z = resp["ZoneInfo"][0]
        expect(z["Describe"] and is_int(z["RegionId"]) and is_int(z["ZoneId"]), "ZoneInfo item: {}".format(z))
        sh = sdk.typed("describe_comp_share_support_zone", {"Region": "cn-sh2"})
        equal([z["Zone"] for z in sh["ZoneInfo"]], ["cn-sh2-02"], "ZoneInfo of cn-sh2")
        s.state["zone_id"] = z["ZoneId"]
        expect_error(lambda: sdk.typed("describe_comp_share_support_zone", {"Region": "cn-nowhere"}), 230, message="Params [Region] not available: cn-nowhere is not a region of this service (cn-wlcb, cn-sh2)")

    def machine_type_families():
        # Documented conflict: both SDK models declare MachineTypes []string, the docs and the
        # CLI (and our server) answer objects {Name, Description}. Python's Str field stringifies
        # each object; the generic invoke gives the objects.
        resp = sdk.typed("describe_comp_share_machine_type_families", {"ProjectId": s.state["project"]})
        expect(resp["MachineTypes"] and all(isinstance(m, str) for m in resp["MachineTypes"]), "typed MachineTypes: {}".format(resp))
        expect(any("'Name': '4090'" in m for m in resp["MachineTypes"]), "typed MachineTypes (objects as str): {}".format(resp["MachineTypes"]))
        raw = sdk.invoke("DescribeCompShareMachineTypeFamilies", {"ProjectId": s.state["project"]})
        names = [m["Name"] for m in raw["MachineTypes"]]
        expect("4090" in names and all(isinstance(m["Description"], str) for m in raw["MachineTypes"]), "MachineTypes objects: {}".format(raw["MachineTypes"]))
        expect("4090" in [m["Name"] for m in raw["MachineTypesMap"][ZONE]], "MachineTypesMap[{}]".format(ZONE))
        sh = sdk.invoke("DescribeCompShareMachineTypeFamilies", {"Region": "cn-sh2"})
        equal(sorted(m["Name"] for m in sh["MachineTypes"]), ["2080Ti", "4090", "5090"], "families of cn-sh2")
        expect_error(lambda: sdk.typed("describe_comp_share_machine_type_families", {"ProjectId": "org-doesnotexist"}), 292, "ProjectNotExists")

    def instance_types():
        resp = sdk.typed("describe_available_comp_share_instance_types", {"Zone": ZONE, "MachineTypes": ["4090"]})
        equal(resp["Status"], "Normal", "Status")
        equal([(t["Name"], t["Zone"]) for t in resp["AvailableInstanceTypes"]], [("4090", ZONE)], "AvailableInstanceTypes")
        t = resp["AvailableInstanceTypes"][0]
        equal(t["Status"], "Normal", "Status of 4090")
        sizes = {m["Gpu"]: m["Collection"][0] for m in t["MachineSizes"]}
        equal((sizes[1]["Cpu"], sizes[1]["Memory"]), (16, [64, 96]), "Cpu and Memory (GB) of 4090 x1")
        equal((sizes[2]["Cpu"], sizes[2]["Memory"]), (32, [128, 192]), "Cpu and Memory (GB) of 4090 x2")
        expect(isinstance(t["CpuPlatforms"]["Amd"], list) and isinstance(t["CpuPlatforms"]["Intel"], list), "CpuPlatforms is an object of lists")
        equal(t["GraphicsMemory"]["Value"], 24, "GraphicsMemory.Value")
        expect(is_num(t["Performance"]["Value"]) and is_int(t["Performance"]["Rate"]), "Performance {}".format(t["Performance"]))
        boot = [d["Name"] for d in t["Disks"][0]["BootDisk"]]
        expect("CLOUD_SSD" in boot, "BootDisk types {}".format(boot))
        s.state["sizes_4090"] = sorted((m["Gpu"], c["Cpu"], mem) for m in t["MachineSizes"] for c in m["Collection"] for mem in c["Memory"])
        none = sdk.typed("describe_available_comp_share_instance_types", {"Zone": ZONE, "MachineTypes": ["NoSuchGpu"]})
        equal(none["AvailableInstanceTypes"], [], "an unknown machine type")
        # InstanceType is the docs' and the CLI's (not in the SDK model): spot types only.
        spot = sdk.invoke("DescribeAvailableCompShareInstanceTypes", dict(on, InstanceType="spot"))
        names = {t["Name"] for t in spot["AvailableInstanceTypes"]}
        expect("4090" in names and "A800" not in names, "spot types: {}".format(sorted(names)))
        expect_error(lambda: sdk.typed("describe_available_comp_share_instance_types", {"Zone": "cn-nowhere-01"}), 230, prefix="Params [Zone] not available")

    def resource_capacity():
        # Not in either SDK: the generic invoke, as the CLI sends it.
        req = dict(on, GpuType="4090", MachineType="G", MinimalCpuPlatform="Auto", CompShareImageId=UBUNTU, ChargeType="Postpay")
        req["Disks"] = [{"IsBoot": True, "Type": "CLOUD_SSD", "Size": 100}]
        resp = sdk.invoke("CheckCompShareResourceCapacity", req)
        specs = resp["Specs"]
        expect(SIZE_1 in specs, "Specs should contain {}: {}".format(SIZE_1, specs[:3]))
        for sp in specs:
            expect(is_int(sp["Gpu"]) and is_int(sp["Cpu"]) and is_int(sp["Mem"]) and isinstance(sp["ResourceEnough"], bool), "Specs item types: {}".format(sp))
        if "sizes_4090" in s.state:
            equal(sorted((sp["Gpu"], sp["Cpu"], sp["Mem"]) for sp in specs), s.state["sizes_4090"], "Specs vs DescribeAvailableCompShareInstanceTypes sizes")
        expect_error(lambda: sdk.invoke("CheckCompShareResourceCapacity", dict(req, CompShareImageId="compshareImage-nope")), 226614, "ImageNotFound")
        expect_error(lambda: sdk.invoke("CheckCompShareResourceCapacity", dict(req, MachineType="X")), 230, prefix="Params [MachineType] not available")
        bad = dict(req)
        del bad["GpuType"]
        expect_error(lambda: sdk.invoke("CheckCompShareResourceCapacity", bad), 220, message="Missing params [GpuType]")

    def software_port():
        resp = sdk.typed("describe_comp_share_software_port", {})
        ports = {p["Software"]: p["Port"] for p in resp["SoftwarePort"]}
        equal((ports.get("JupyterLab"), ports.get("SSH")), (8888, 22), "ports of JupyterLab and SSH")
        expect(all(is_int(p) for p in ports.values()), "Port is an int")

    def net_optimizer():
        resp = sdk.typed("check_comp_share_net_optimizer", {"Zone": ZONE})
        expect(resp["Optimized"] is False, "Optimized of a new account: {!r}".format(resp["Optimized"]))
        equal(sdk.raw["Info"], [{"Region": REGION, "Optimized": False}], "Info (the docs' per-region list)")
        sh = sdk.typed("check_comp_share_net_optimizer", {"Region": "cn-sh2", "Zone": "cn-sh2-02"})
        equal([i["Region"] for i in sdk.raw["Info"]], ["cn-sh2"], "Info of cn-sh2")
        expect(sh["Optimized"] is False, "Optimized in cn-sh2")

    def models():
        every = sdk.typed("describe_model_repository_models", {"Zone": ZONE})["Models"]
        expect(len(every) >= 4, "Models: {}".format([m["Name"] for m in every]))
        for m in every:
            expect(isinstance(m["Size"], str) and is_int(m["CreateTime"]) and m["Path"].startswith("/"), "model {}".format(m))
        # The SDK sends Name and Tags; the docs and the CLI name and tags. Either filters.
        qwen = sdk.typed("describe_model_repository_models", {"Zone": ZONE, "Name": "qwen"})["Models"]
        equal(sorted(m["Name"] for m in qwen), ["DeepSeek-R1-Distill-Qwen-7B", "Qwen2.5-7B-Instruct"], "Name=qwen (case-insensitive, in part)")
        meta = sdk.typed("describe_model_repository_models", {"Zone": ZONE, "Tags": "LLM,Meta"})["Models"]
        equal([m["Name"] for m in meta], ["Llama-3-8B"], "Tags=LLM,Meta (all of them)")
        cli = sdk.invoke("DescribeModelRepositoryModels", {"name": "llama"})["Models"]
        equal([m["Name"] for m in cli], ["Llama-3-8B"], "name=llama (the CLI's spelling)")

    def gpu_inventory():
        resp = sdk.typed("describe_comp_share_gpu_inventory", {"Zone": ZONE})
        expect(isinstance(resp["GpuInventoryByZone"], str), "GpuInventoryByZone is a JSON string")
        expect("4090" not in resp["SpotUnsupportedGpuTypes"] and "A800" in resp["SpotUnsupportedGpuTypes"], "SpotUnsupportedGpuTypes {}".format(resp["SpotUnsupportedGpuTypes"]))
        expect(is_int(resp["UpdateTime"]) and abs(resp["UpdateTime"] - time.time()) < 600, "UpdateTime {}".format(resp["UpdateTime"]))
        inv = json.loads(resp["GpuInventoryByZone"])
        # The SDK models document a map by pool first: {"Exclusive": {<ZoneId>: {<GpuType>: n}}, "Spot": {…}}.
        expect(isinstance(inv, dict) and "Exclusive" in inv, "GpuInventoryByZone should be keyed by pool (Exclusive, Spot) as the SDK documents: {}".format(resp["GpuInventoryByZone"][:200]))
        exclusive = inv["Exclusive"]
        mine = exclusive.get(str(s.state.get("zone_id"))) or exclusive.get(ZONE)
        expect(mine and is_int(mine.get("4090")) and mine["4090"] > 0, "free 4090 GPUs in {}: {}".format(ZONE, exclusive))
        expect_error(lambda: sdk.typed("describe_comp_share_gpu_inventory", {"Region": "cn-nowhere"}), 230, prefix="Params [Region] not available")

    def image_tags():
        resp = sdk.typed("describe_comp_share_image_tags", {})
        for want in ("PyTorch", "LLM", "Stable Diffusion"):
            expect(want in resp["Tags"], "{} missing from Tags {}".format(want, resp["Tags"]))
        union = {t for tags in sdk.raw["TagsMap"].values() for t in tags}
        equal(union, set(resp["Tags"]), "the tags of TagsMap")
        equal(sorted(sdk.raw["TagIndex"]), sorted(sdk.raw["TagsMap"]), "TagIndex")

    s.check("DescribeCompShareSupportZone: the zones of a region; an unknown Region is 230", support_zone)
    s.check(
        "DescribeCompShareMachineTypeFamilies: typed MachineTypes are the objects as strings (documented SDK conflict); invoke gives {Name, Description}",
        machine_type_families,
        needs=["project"],
    )
    s.check("DescribeAvailableCompShareInstanceTypes: 4090 sizes, CPU platforms, disks; spot; unknown zone", instance_types)
    s.check("CheckCompShareResourceCapacity (invoke): Specs has {Gpu:1,Cpu:16,Mem:64,ResourceEnough:true}; errors", resource_capacity)
    s.check("DescribeCompShareSoftwarePort", software_port)
    s.check("CheckCompShareNetOptimizer: Optimized a bool, Info per region", net_optimizer)
    s.check("DescribeModelRepositoryModels: Name/Tags (SDK) and name (CLI) filters", models)
    s.check("DescribeCompShareGpuInventory: a JSON string keyed as the SDK documents", gpu_inventory)
    s.check("DescribeCompShareImageTags: Tags, with TagsMap and TagIndex", image_tags)

    # =========================================================================================
    # Pricing and billing.

    def price_req(**extra):
        d = dict(on, GpuType="4090", Gpu="1", Cpu="16", Memory="65536")
        d.update(extra)
        return d

    def instance_price():
        # Gpu, Cpu and Memory are strings in the SDK models: the same digits on the wire.
        resp = sdk.typed("get_comp_share_instance_price", price_req(ChargeType="Postpay", Disks=[{"IsBoot": True, "Type": "CLOUD_SSD", "Size": 100}]))
        equal(len(resp["PriceDetail"]), 1, "PriceDetail of one charge type")
        d = resp["PriceDetail"][0]
        equal(d["ChargeType"], "Postpay", "ChargeType")
        expect(is_num(d["Instance"]) and d["Instance"] > 0, "Instance price {}".format(d["Instance"]))
        expect(isinstance(d["ListPrice"], str) and float(d["ListPrice"]) == d["OriginalPrice"], "ListPrice (a string) {!r}".format(d["ListPrice"]))
        expect(is_int(d["InstanceDiscountType"]), "InstanceDiscountType")
        # The docs and the CLI read the plural names: the same answer.
        docs = sdk.invoke("GetCompShareInstancePrice", price_req(ChargeType="Postpay", Disks=[{"IsBoot": True, "Type": "CLOUD_SSD", "Size": 100}]))
        for k in ("PriceDetail", "OriginalPriceDetail", "ListPriceDetail"):
            equal(docs[k + "s"], docs[k], "{}s (docs) vs {} (SDK)".format(k, k))
        equal(docs["PriceDetails"][0]["Instance"], d["Instance"], "PriceDetails[0].Instance via invoke vs typed PriceDetail[0].Instance")
        s.state["postpay_price"] = d["Instance"]
        every = sdk.typed("get_comp_share_instance_price", price_req())
        types = [x["ChargeType"] for x in every["PriceDetail"]]
        for want in ("Month", "Day", "Postpay", "Spot"):
            expect(want in types, "{} missing from the charge types {}".format(want, types))
        by = {x["ChargeType"]: x["Instance"] for x in every["PriceDetail"]}
        expect(by["Month"] > by["Day"] > by["Postpay"] > by["Spot"] > 0, "prices by charge type {}".format(by))
        two = sdk.typed("get_comp_share_instance_price", price_req(ChargeType="Postpay", Gpu="2", Cpu="32", Memory="131072"))
        expect(two["PriceDetail"][0]["Instance"] > d["Instance"], "2 GPUs cost more than 1")
        expect_error(lambda: sdk.typed("get_comp_share_instance_price", price_req(Cpu="17")), 230, prefix="Params [Cpu] not available")
        expect_error(lambda: sdk.typed("get_comp_share_instance_price", price_req(GpuType="NoSuchGpu")), 230, prefix="Params [GpuType] not available")

    def user_price():
        resp = sdk.typed("get_comp_share_instance_user_price", price_req(ChargeType="Postpay"))
        raw = sdk.raw
        d = resp["PriceDetail"][0]
        equal(d["ChargeType"], "Postpay", "ChargeType")
        if "postpay_price" in s.state:
            equal(d["Instance"], s.state["postpay_price"], "user price vs GetCompShareInstancePrice")
        expect(d["Instance"] > 0, "Instance price {}".format(d["Instance"]))
        docs = sdk.invoke("GetCompShareInstanceUserPrice", dict(on, GpuType="4090", GPU=1, CPU=16, Memory=65536, ChargeType="Postpay"))
        equal(docs["PriceDetails"], raw["PriceDetail"], "PriceDetails (docs' CPU/GPU spelling, invoke) vs PriceDetail (SDK's Cpu/Gpu, typed)")
        every = sdk.typed("get_comp_share_instance_user_price", price_req())
        expect(len(every["PriceDetail"]) >= 3, "every charge type: {}".format([x["ChargeType"] for x in every["PriceDetail"]]))
        expect_error(lambda: sdk.typed("get_comp_share_instance_user_price", price_req(Memory="1000")), 230, prefix="Params [")

    s.check("GetCompShareInstancePrice: PriceDetail > 0, equal to the docs' PriceDetails; every charge type; errors", instance_price)
    s.check("GetCompShareInstanceUserPrice: the SDK's Cpu/Gpu and the docs' CPU/GPU; errors", user_price)

    def billing_instances():
        s.state["day"] = create("py-billing-day", ChargeType="Day")
        s.state["postpay"] = create("py-billing-postpay", ChargeType="Postpay")
        h = describe_one(sdk, s.state["day"])
        equal(h["ChargeType"], "Day", "ChargeType")
        expect(h["ExpireTime"] > time.time(), "ExpireTime of a Day instance: {}".format(h["ExpireTime"]))
        p = describe_one(sdk, s.state["postpay"])
        if "postpay_price" in s.state:
            equal(p["InstancePrice"], s.state["postpay_price"], "InstancePrice of a Postpay 4090 x1 vs GetCompShareInstancePrice")

    def upgrade_price():
        day = s.state["day"]
        resp = sdk.typed("get_comp_share_instance_upgrade_price", inst(day, Cpu=32, Gpu=2, Memory=131072))
        expect(all(is_num(resp[k]) for k in ("Price", "OriginalPrice", "ListPrice")), "prices are numbers: {}".format(resp))
        expect(resp["Price"] > 0 and resp["OriginalPrice"] == resp["ListPrice"], "upgrade of a Day instance to 2 GPUs: {}".format(resp))
        same = sdk.typed("get_comp_share_instance_upgrade_price", inst(day, Cpu=16, Gpu=1, Memory=65536))
        equal(same["Price"], 0, "Price of the same size")
        hourly = sdk.typed("get_comp_share_instance_upgrade_price", inst(s.state["postpay"], Cpu=32, Gpu=2, Memory=131072))
        expect(0 < hourly["Price"] < resp["Price"], "an hourly upgrade costs less than a day's: {} vs {}".format(hourly, resp))
        expect_error(lambda: sdk.typed("get_comp_share_instance_upgrade_price", inst(day, Cpu=17, Gpu=1, Memory=65536)), 230, prefix="Params [")
        expect_error(lambda: sdk.typed("get_comp_share_instance_upgrade_price", inst(NOT_FOUND, Cpu=32, Gpu=2, Memory=131072)), 8039, "InstanceNotFound")

    def refund_price():
        day, postpay = s.state["day"], s.state["postpay"]
        resp = sdk.typed("get_comp_share_refund_price", dict(on, UHostIds=[day, postpay, NOT_FOUND]))
        by = {r["UHostId"]: r for r in resp["RefundPriceSet"]}
        equal(sorted(by), sorted([day, postpay, NOT_FOUND]), "UHostIds of RefundPriceSet")
        equal(by[day]["Code"], 0, "Code of a Day instance")
        expect(is_num(by[day]["RefundPrice"]) and by[day]["RefundPrice"] > 0, "RefundPrice of a Day instance just created: {}".format(by[day]))
        expect(by[postpay]["Code"] != 0 and by[postpay]["RefundPrice"] == 0, "a Postpay instance has nothing to refund: {}".format(by[postpay]))
        equal(by[NOT_FOUND]["Code"], 8039, "Code of an unknown instance")
        raw = {r["UHostId"]: r for r in sdk.raw["RefundPriceSet"]}
        for uhost, r in by.items():
            equal(raw[uhost]["Message"], r["ErrMessage"], "Message (docs) vs ErrMessage (SDK) of {}".format(uhost))

    def switch_charge_type():
        # Not in either SDK: the generic invoke. Day → Month → Year; the rest is refused (230).
        day, postpay = s.state["day"], s.state["postpay"]
        resp = when_free(lambda: sdk.invoke("SwitchChargeType", inst(day, DestChargeType="Month")))
        equal(resp.get("UHostId"), day, "UHostId")
        h = describe_one(sdk, day)
        equal((h["ChargeType"], h["AutoRenew"]), ("Month", "Yes"), "ChargeType and AutoRenew after Day → Month")
        expect(h["ExpireTime"] > time.time() + 20 * 86400, "ExpireTime of a month: {}".format(h["ExpireTime"]))
        expect_error(lambda: sdk.invoke("SwitchChargeType", inst(day, DestChargeType="Day")), 230, prefix="Params [DestChargeType] not available")
        sdk.invoke("SwitchChargeType", inst(day, DestChargeType="Year"))
        equal(describe_one(sdk, day)["ChargeType"], "Year", "ChargeType after Month → Year")
        refund = sdk.typed("get_comp_share_refund_price", dict(on, UHostIds=[day]))["RefundPriceSet"][0]
        expect(refund["Code"] == 0 and refund["RefundPrice"] > 0, "refund of the Year instance: {}".format(refund))
        expect_error(lambda: sdk.invoke("SwitchChargeType", inst(day, DestChargeType="Month")), 230, prefix="Params [DestChargeType] not available")
        expect_error(
            lambda: sdk.invoke("SwitchChargeType", inst(postpay, DestChargeType="Month")),
            230,
            prefix="Params [DestChargeType] not available",
            action="SwitchChargeType",
        )
        equal(describe_one(sdk, postpay)["ChargeType"], "Postpay", "ChargeType after the refused switch")
        expect_error(lambda: sdk.invoke("SwitchChargeType", inst(day, DestChargeType="Weekly")), 230, prefix="Params [DestChargeType] not available")
        expect_error(lambda: sdk.invoke("SwitchChargeType", inst(NOT_FOUND, DestChargeType="Month")), 8039, "InstanceNotFound")
        expect_error(lambda: other.invoke("SwitchChargeType", inst(day, DestChargeType="Year")), 8039, "InstanceNotFound")

    s.check("Billing instances: a Day one and a Postpay one; InstancePrice equals the quoted price", billing_instances)
    s.check("GetCompShareInstanceUpgradePrice: prepaid and hourly; a wrong size is 230, an unknown instance 8039", upgrade_price, needs=["day", "postpay"])
    s.check("GetCompShareRefundPrice: Code 0 and a refund for Day, nothing for Postpay, 8039 for unknown", refund_price, needs=["day", "postpay"])
    s.check("SwitchChargeType (invoke): Day → Month → Year; from Postpay and backwards RetCode 230", switch_charge_type, needs=["day", "postpay"])

    # =========================================================================================
    # Monitoring, on the Postpay instance.

    def monitor():
        postpay = s.state["postpay"]
        typed = sdk.typed("get_comp_share_instance_monitor", dict(on, UHostIds=[postpay]))
        equal(typed, {}, "the SDK's response model has no fields")
        data = sdk.raw["Data"]
        equal([x["UHostId"] for x in data["List"]], [postpay], "Data.List[].UHostId")
        equal(data["PodList"], [], "Data.PodList")
        keys = [m["MetricKey"] for m in data["List"][0]["Metrics"]]
        for want in ("uhost_cpu_used", "cloudwatch_memory_usage", "cloudwatch_gpu_util"):
            expect(want in keys, "{} missing from the metrics {}".format(want, keys))
        for m in data["List"][0]["Metrics"]:
            expect(isinstance(m["Tags"], dict) and m["Results"], "metric {}".format(m["MetricKey"]))
            for r in m["Results"]:
                equal(r["ResourceId"], postpay, "ResourceId")
                for v in r["Values"]:
                    expect(is_int(v["Timestamp"]) and is_num(v["Value"]), "value {}".format(v))
        gpu = [m for m in data["List"][0]["Metrics"] if m["MetricKey"] == "cloudwatch_gpu_util"][0]
        equal(len(gpu["Results"]), 1, "one GPU series for 1 GPU")
        now = int(time.time())
        ranged = sdk.invoke("GetCompShareInstanceMonitor", dict(on, UHostIds=[postpay], StartTime=now - 300, EndTime=now))
        keys = [m["MetricKey"] for m in ranged["Data"]["List"][0]["Metrics"]]
        expect("uhost_net_in_flow" in keys, "a ranged query adds the traffic: {}".format(keys))
        expect_error(lambda: sdk.typed("get_comp_share_instance_monitor", dict(on, UHostIds=[NOT_FOUND])), 8039, "InstanceNotFound")
        expect_error(lambda: sdk.typed("get_comp_share_instance_monitor", dict(on, UHostIds=["uhost-{}".format(i) for i in range(11)])), 230, prefix="Params [UHostIds] not available")

    s.check("GetCompShareInstanceMonitor: typed (empty model) and Data of the docs; errors", monitor, needs=["postpay"])

    # =========================================================================================
    # Data disks, on the Postpay instance.

    def disk_of(disk_id, client=None):
        got = (client or sdk).invoke("DescribeCompshareDisk", {"UDiskId": disk_id})["DiskSet"]
        return got[0] if got else None

    def wait_disk(disk_id, status, size=None):
        def probe():
            d = disk_of(disk_id)
            return d if d and d["Status"] == status and (size is None or d["Size"] == size) else None

        return until(probe, settle_s(), "disk {} to be {}{}".format(disk_id, status, "" if size is None else " with {} GB".format(size)))

    def disk_create():
        postpay = s.state["postpay"]
        req = inst(postpay, Size=20, DiskType="SSDDataDisk", Name="py-data", ChargeType="Postpay")
        expect_error(lambda: sdk.invoke("CreateAndAttachCompshareDisk", dict(req, DiskType="NoSuchDisk")), 230, prefix="Params [DiskType] not available")
        expect_error(lambda: sdk.invoke("CreateAndAttachCompshareDisk", dict(req, UHostId=NOT_FOUND)), 8039, "InstanceNotFound")
        resp = when_free(lambda: sdk.invoke("CreateAndAttachCompshareDisk", req))
        disk = resp["UDiskId"]
        expect(disk.startswith("bsi-"), "UDiskId {!r}".format(disk))
        s.state["disk"] = disk
        wait_disk(disk, "InUse")
        h = describe_one(sdk, postpay)
        data = [d for d in h["DiskSet"] if d["DiskId"] == disk]
        expect(data, "the new disk is not in the DiskSet: {}".format(h["DiskSet"]))
        equal((data[0]["IsBoot"], data[0]["Size"], data[0]["Type"], data[0]["DiskType"]), ("False", 20, "Data", "CLOUD_SSD"), "the data disk in DiskSet")
        s.state["boot"] = [d for d in h["DiskSet"] if d["IsBoot"] == "True"][0]["DiskId"]
        ops = sdk.invoke("DescribeCompShareInstanceOperations", {"UHostId": postpay, "Limit": 10})["OperationSet"]
        actions = [(o["Action"], o["Status"]) for o in ops]
        expect(("CreateAndAttachCompshareDisk", "Succeeded") in actions, "operation records of the instance: {}".format(actions))
        out = sdk.invoke("GetCompShareInstanceConsoleOutput", {"UHostId": postpay, "Length": 4096})
        equal(out["UHostId"], postpay, "UHostId of the console output")
        expect("ocs-boot-id: " in out["Output"] and len(out["Output"]) <= 4096 and is_int(out["Timestamp"]), "the console shows a boot id: {!r}".format(out["Output"][-300:]))
        expect_error(lambda: other.invoke("GetCompShareInstanceConsoleOutput", {"UHostId": postpay}), 8039, "InstanceNotFound")
        pol = sdk.invoke("DescribeCompShareInstancePolicy", {"UHostId": postpay})
        equal((pol["UHostId"], pol["ChargeType"], pol["UnpaidAmount"]), (postpay, "Postpay", 0), "the policy view of a pay-as-you-go instance")
        expect(pol["Balance"] > 0 and pol["Timeline"] in ("", "stopped") and is_int(pol["NextStepTime"]), "balance and timeline: {}".format(pol))
        expect_error(lambda: other.invoke("DescribeCompShareInstancePolicy", {"UHostId": postpay}), 8039, "InstanceNotFound")

    def disk_describe():
        postpay, disk = s.state["postpay"], s.state["disk"]
        resp = sdk.invoke("DescribeCompshareDisk", {"HostId": postpay})
        equal(resp["TotalCount"], 1, "TotalCount of the instance's disks")
        d = resp["DiskSet"][0]
        want = {"ResourceId": disk, "UDiskId": disk, "MountInstance": postpay, "Zone": ZONE, "Region": REGION, "Status": "InUse", "Configuration": "20GB", "Size": 20, "Name": "py-data", "ChargeType": "Postpay"}
        equal({k: d[k] for k in want}, want, "the disk")
        expect(d["Device"].startswith("/dev/vd") and is_int(d["CreateTime"]), "Device and CreateTime: {}".format(d))
        equal(sdk.invoke("DescribeCompshareDisk", {"UDiskId": "bsi-doesnotexist"})["TotalCount"], 0, "an unknown disk")
        equal(other.invoke("DescribeCompshareDisk", {"UDiskId": disk})["TotalCount"], 0, "another account's view of the disk")

    def disk_upgrade_price():
        postpay, disk, boot = s.state["postpay"], s.state["disk"], s.state["boot"]
        resp = sdk.typed("get_comp_share_attached_disk_upgrade_price", inst(postpay, DiskId=disk, DiskSpace="40"))
        expect(is_num(resp["Price"]) and resp["Price"] > 0, "Price {}".format(resp))
        equal(resp["PriceDetail"]["UDisk"], resp["Price"], "PriceDetail.UDisk")
        equal(resp["ListPriceDetail"]["UDisk"], resp["ListPrice"], "ListPriceDetail.UDisk")
        equal(resp["OriginalPriceDetail"]["Snapshot"], 0, "Snapshot")
        big = sdk.typed("get_comp_share_attached_disk_upgrade_price", inst(postpay, DiskId=disk, DiskSpace="80"))
        expect(big["Price"] > resp["Price"], "more GB cost more: {} vs {}".format(big["Price"], resp["Price"]))
        sysdisk = sdk.typed("get_comp_share_attached_disk_upgrade_price", inst(postpay, DiskId=boot, DiskSpace="300"))
        expect(sysdisk["Price"] > 0, "the system disk beyond its free size: {}".format(sysdisk))
        expect_error(lambda: sdk.typed("get_comp_share_attached_disk_upgrade_price", inst(postpay, DiskId="bsi-doesnotexist", DiskSpace="40")), 226616, "DiskNotFound")
        expect_error(lambda: sdk.typed("get_comp_share_attached_disk_upgrade_price", inst(postpay, DiskId=disk, DiskSpace="10")), 230, prefix="Params [DiskSpace] not available")

    def disk_running_errors():
        postpay, disk = s.state["postpay"], s.state["disk"]
        expect_error(lambda: sdk.typed("detach_compshare_disk", inst(postpay, UDiskId=disk)), 8010, "InstanceMustBeStopped")
        expect_error(lambda: sdk.typed("resize_comp_share_disk", dict(on, UDiskId=disk, Size=30)), 8010, "InstanceMustBeStopped")
        expect_error(lambda: sdk.typed("delete_compshare_disk", dict(on, UDiskId=disk, OrganizationID=0, TopOrganizationID=0)), 8434, "DiskNotAvailable")
        expect_error(lambda: sdk.typed("detach_compshare_disk", inst(postpay, UDiskId="bsi-doesnotexist")), 226616, "DiskNotFound")
        expect_error(lambda: other.typed("delete_compshare_disk", dict(on, UDiskId=disk, OrganizationID=0, TopOrganizationID=0)), 226616, "DiskNotFound")

    def disk_lifecycle():
        postpay, disk = s.state["postpay"], s.state["disk"]
        when_free(lambda: sdk.typed("stop_comp_share_instance", inst(postpay)))
        wait_state(sdk, postpay, "Stopped")
        # Attached: a background task of the Stopped instance.
        equal(when_free(lambda: sdk.typed("resize_comp_share_disk", dict(on, UDiskId=disk, Size=30)))["UDiskId"], disk, "UDiskId")
        wait_disk(disk, "InUse", 30)
        expect_error(lambda: sdk.typed("resize_comp_share_disk", dict(on, UDiskId=disk, Size=25)), 230, prefix="Params [Size] not available")
        when_free(lambda: sdk.typed("detach_compshare_disk", inst(postpay, UDiskId=disk)))
        d = wait_disk(disk, "Available")
        equal(d["MountInstance"], "", "MountInstance of a detached disk")
        expect(disk not in [x["DiskId"] for x in describe_one(sdk, postpay)["DiskSet"]], "the detached disk left the DiskSet")
        # Detached: resized at once.
        equal(sdk.typed("resize_comp_share_disk", dict(on, UDiskId=disk, Size=40))["UDiskId"], disk, "UDiskId")
        equal(disk_of(disk)["Size"], 40, "Size of the detached disk after the resize")
        when_free(lambda: sdk.typed("attach_compshare_disk", inst(postpay, UDiskId=disk)))
        d = wait_disk(disk, "InUse")
        equal(d["MountInstance"], postpay, "MountInstance after AttachCompshareDisk")
        expect_error(lambda: sdk.typed("attach_compshare_disk", inst(postpay, UDiskId=disk)), 8434, "DiskNotAvailable")
        when_free(lambda: sdk.typed("detach_compshare_disk", inst(postpay, UDiskId=disk)))
        wait_disk(disk, "Available")
        # OrganizationID and TopOrganizationID are required by the SDK model; the server ignores them.
        equal(sdk.typed("delete_compshare_disk", dict(on, UDiskId=disk, OrganizationID=0, TopOrganizationID=0))["UDiskId"], disk, "UDiskId")
        expect(disk_of(disk) is None, "a deleted disk left DescribeCompshareDisk")
        equal(sdk.typed("delete_compshare_disk", dict(on, UDiskId=disk, OrganizationID=0, TopOrganizationID=0))["UDiskId"], disk, "deleting it again succeeds")
        expect_error(lambda: sdk.typed("resize_comp_share_disk", dict(on, UDiskId=disk, Size=50)), 226616, "DiskNotFound")
        expect_error(lambda: sdk.typed("attach_compshare_disk", inst(postpay, UDiskId=disk)), 226616, "DiskNotFound")

    s.check("CreateAndAttachCompshareDisk (invoke): a bsi- disk in the DiskSet; errors; operation record", disk_create, needs=["postpay"])
    s.check("DescribeCompshareDisk (invoke): the CLI's inventory fields", disk_describe, needs=["disk"])
    s.check("GetCompShareAttachedDiskUpgradePrice: data and system disk; DiskNotFound (226616); shrinking is 230", disk_upgrade_price, needs=["disk", "boot"])
    s.check("Disks on a Running instance: Detach/Resize need it Stopped (8010), Delete an attached disk 8434", disk_running_errors, needs=["disk"])
    s.check("ResizeCompShareDisk attached and detached, Detach, Attach, DeleteCompshareDisk (twice)", disk_lifecycle, needs=["disk"])

    def billing_cleanup():
        terminate(s.state["day"])
        terminate(s.state["postpay"])

    s.check("Terminate the billing instances", billing_cleanup, needs=["day", "postpay"])

    # =========================================================================================
    # A container instance: ports, then a custom image of it, shared and published.

    def container():
        c = create("py-container", CompShareImageId=PYTORCH, ChargeType="Postpay")
        s.state["container"] = c
        h = describe_one(sdk, c)
        equal(h["InstanceType"], "Container", "InstanceType of an App image's instance")

    def ports():
        c = s.state["container"]
        resp = sdk.typed("update_comp_share_instance_ports", inst(c, HttpPorts=[8080, 8081], TcpPorts=[6006]))
        equal(resp["UHostId"], c, "UHostId")
        names = [x["Name"] for x in describe_one(sdk, c)["Softwares"]]
        for want in ("JupyterLab", "HTTP:8080", "HTTP:8081", "TCP:6006"):
            expect(want in names, "{} missing from Softwares {}".format(want, names))
        sdk.typed("update_comp_share_instance_ports", inst(c, HttpPorts=[9000]))
        names = [x["Name"] for x in describe_one(sdk, c)["Softwares"]]
        expect("HTTP:9000" in names and "HTTP:8080" not in names and "TCP:6006" in names, "HttpPorts replaced, TcpPorts kept: {}".format(names))
        expect_error(lambda: sdk.typed("update_comp_share_instance_ports", inst(c, HttpPorts=[70000])), 230, prefix="Params [HttpPorts")
        expect_error(lambda: sdk.typed("update_comp_share_instance_ports", inst(NOT_FOUND, HttpPorts=[8080])), 8039, "InstanceNotFound")
        expect_error(lambda: other.typed("update_comp_share_instance_ports", inst(c, HttpPorts=[8080])), 8039, "InstanceNotFound")

    def ports_on_vm():
        vm = create("py-vm-ports", ChargeType="Postpay")
        try:
            expect_error(lambda: sdk.typed("update_comp_share_instance_ports", inst(vm, HttpPorts=[8080])), 230, prefix="Params [UHostId] not available")
        finally:
            terminate(vm)

    def container_image():
        c = s.state["container"]
        resp = when_free(lambda: sdk.typed(
            "create_comp_share_custom_image",
            {
                "Region": REGION,
                "Zone": ZONE,
                "UHostId": c,
                "Name": "py-container-image",
                "Description": "a container's image",
                "Softwares": {"Application": ["JupyterLab"], "CUDAVersion": "12.4", "Framework": "PyTorch", "FrameworkVersion": "2.4.0"},
            },
        ))
        image = resp["CompShareImageId"]

        def available():
            got = sdk.typed("describe_comp_share_custom_images", {"Zone": ZONE, "CompShareImageId": image})["ImageSet"]
            return got[0] if got and got[0]["Status"] == "Available" else None

        img = until(available, settle_s(), "the container's image to be Available")
        equal((img["Container"], img["ImageType"]), ("True", "Custom"), "Container and ImageType of a container's image")
        s.state["cimage"] = image

    def update_image():
        image = s.state["cimage"]
        sdk.typed("update_comp_share_image", {"Zone": ZONE, "CompShareImageId": image, "Description": "updated by the suite", "Tags": ["LLM", "PyTorch"], "Readme": "# readme"})
        img = sdk.typed("describe_comp_share_custom_images", {"Zone": ZONE, "CompShareImageId": image})["ImageSet"][0]
        equal((img["Description"], sorted(img["Tags"]), img["Readme"]), ("updated by the suite", ["LLM", "PyTorch"], "# readme"), "Description, Tags, Readme after UpdateCompShareImage")
        # Name is the docs' and the CLI's (not in the SDK model): through invoke.
        sdk.invoke("UpdateCompShareImage", dict(on, CompShareImageId=image, Name="py-container-image-2"))
        equal(sdk.typed("describe_comp_share_custom_images", {"Zone": ZONE, "CompShareImageId": image})["ImageSet"][0]["Name"], "py-container-image-2", "Name after UpdateCompShareImage (invoke)")
        expect_error(lambda: sdk.typed("update_comp_share_image", {"Zone": ZONE, "CompShareImageId": "compshareImage-nope", "Description": "x"}), 226614, "ImageNotFound")
        expect_error(lambda: other.typed("update_comp_share_image", {"Zone": ZONE, "CompShareImageId": image, "Description": "x"}), 226614, "ImageNotFound")

    def other_account_number(image):
        """The second account's number: from the environment, else found by its name. Removing
        shares that do not exist changes nothing and answers which numbers are no (other)
        account; then the accounts are offered the image one at a time, in the order run.ts made
        them (the Go suite's, then the second one), each unshared at once."""
        given = os.environ.get("OCS_COMPAT_OTHER_ACCOUNT_NUMBER")
        if given:
            return int(given)
        candidates = list(range(10001, 10031))
        invalid = sdk.typed("modify_comp_share_image_share_account", {"CompShareImageId": image, "RemoveAccounts": candidates})["InvalidAccounts"]
        for n in [n for n in candidates if n not in invalid]:
            sdk.typed("modify_comp_share_image_share_account", {"CompShareImageId": image, "AddAccounts": [n]})
            accounts = sdk.typed("describe_comp_share_image_share_accounts", {"CompShareImageId": image})["AccountSet"]
            sdk.typed("modify_comp_share_image_share_account", {"CompShareImageId": image, "RemoveAccounts": [n]})
            if [a["AccountName"] for a in accounts] == [OTHER_NAME]:
                return n
        raise CheckFailed("no account named {} among the numbers {}".format(OTHER_NAME, [n for n in candidates if n not in invalid]))

    def share():
        image = s.state["cimage"]
        number = other_account_number(image)
        resp = sdk.typed("modify_comp_share_image_share_account", {"CompShareImageId": image, "AddAccounts": [number, 99999999]})
        equal(resp["InvalidAccounts"], [99999999], "InvalidAccounts")
        accounts = sdk.typed("describe_comp_share_image_share_accounts", {"CompShareImageId": image})["AccountSet"]
        equal(accounts, [{"AccountId": str(number), "AccountName": OTHER_NAME}], "AccountSet (AccountId a string)")
        seen = other.typed("describe_comp_share_sharing_images", {"CompShareImageId": image})
        equal(seen["TotalCount"], 1, "TotalCount of the shared image for the other account")
        img = seen["ImageSet"][0]
        equal((img["CompShareImageId"], img["ImageOwnerAlias"], img["Status"]), (image, "Shared", "Available"), "the shared image")
        listed = other.typed("describe_comp_share_sharing_images", {"Limit": 100})
        expect(image in [i["CompShareImageId"] for i in listed["ImageSet"]], "the shared image in the other account's list")
        mine = sdk.typed("describe_comp_share_sharing_images", {})
        expect(image not in [i["CompShareImageId"] for i in mine["ImageSet"]], "the owner's sharing list has its own image")
        expect_error(lambda: other.typed("modify_comp_share_image_share_account", {"CompShareImageId": image, "AddAccounts": [number]}), 226614, "ImageNotFound")
        expect_error(lambda: other.typed("describe_comp_share_image_share_accounts", {"CompShareImageId": image}), 226614, "ImageNotFound")
        equal(sdk.typed("modify_comp_share_image_share_account", {"CompShareImageId": image, "RemoveAccounts": [number]})["InvalidAccounts"], [], "InvalidAccounts on removal")
        equal(sdk.typed("describe_comp_share_image_share_accounts", {"CompShareImageId": image})["AccountSet"], [], "AccountSet after the removal")
        equal(other.typed("describe_comp_share_sharing_images", {"CompShareImageId": image})["TotalCount"], 0, "the other account's view after the removal")
        expect_error(lambda: sdk.typed("modify_comp_share_image_share_account", {"CompShareImageId": "compshareImage-nope", "AddAccounts": [number]}), 226614, "ImageNotFound")

    community_name = "py-compat-community-{}".format(os.getpid())

    def publish():
        image = s.state["cimage"]
        sdk.typed(
            "publish_comp_share_image",
            {
                "Zone": ZONE,
                "CompShareImageId": image,
                "CommunityImageName": community_name,
                "Price": 0,
                "Tags": ["LLM"],
                "Description": "published by the compatibility suite",
                "Readme": "# hello",
                "AutoStart": True,  # a Str in the SDK model: sent as "True"
                "Softwares": {"Applications": ["JupyterLab"], "CUDAVersion": "12.4", "Framework": "PyTorch", "FrameworkVersion": "2.4.0"},
            },
        )
        mine = sdk.typed("describe_self_community_images", {"Zone": ZONE})
        groups = [g for g in mine["ImageSetGroup"] if g["ImageName"] == community_name]
        equal(len(groups), 1, "groups named {}".format(community_name))
        g = groups[0]
        expect(g["GroupId"].startswith("group-") and g["Status"] == "Available" and g["IsFavorite"] is False, "the group: {}".format({k: g[k] for k in ("GroupId", "Status", "IsFavorite")}))
        equal(len(g["Data"]), 1, "versions of the group")
        v = g["Data"][0]
        want = {"VersionName": "v1.0", "Status": "Available", "ImageType": "Community", "Visibility": 1, "Price": 0, "AutoStart": True, "Container": "True", "Tags": ["LLM"], "GroupId": g["GroupId"]}
        equal({k: v[k] for k in want}, want, "the published version")
        equal(v["Softwares"]["Applications"], ["JupyterLab"], "Softwares.Applications")
        expect(is_int(mine["TotalCount"]) and is_int(mine["AvailableTotalCount"]), "counts")
        equal(sdk.raw["CompshareImageGroup"], sdk.raw["ImageSetGroup"], "CompshareImageGroup (docs) vs ImageSetGroup (SDK)")
        s.state["group"] = g["GroupId"]
        s.state["version"] = v["CompShareImageId"]
        one = sdk.typed("describe_self_community_images", {"Zone": ZONE, "GroupId": g["GroupId"]})
        equal([x["GroupId"] for x in one["ImageSetGroup"]], [g["GroupId"]], "DescribeSelfCommunityImages by GroupId")
        # A second version of the group: GroupId and VersionName are the docs' (not in the SDK model).
        sdk.invoke("PublishCompShareImage", dict(on, CompShareImageId=image, GroupId=g["GroupId"], VersionName="v2.0", VersionDesc="second", Price=0))
        versions = sdk.typed("describe_self_community_images", {"Zone": ZONE, "GroupId": g["GroupId"]})["ImageSetGroup"][0]["Data"]
        equal(sorted(x["VersionName"] for x in versions), ["v1.0", "v2.0"], "versions after the second publish")
        s.state["versions"] = [x["CompShareImageId"] for x in versions]

    def publish_errors():
        image = s.state["cimage"]
        expect_error(lambda: sdk.typed("publish_comp_share_image", {"Zone": ZONE, "CompShareImageId": "compshareImage-nope", "Price": 0}), 226614, "ImageNotFound")
        expect_error(lambda: other.typed("publish_comp_share_image", {"Zone": ZONE, "CompShareImageId": image, "Price": 0}), 226614, "ImageNotFound")
        expect_error(
            lambda: sdk.invoke("PublishCompShareImage", dict(on, CompShareImageId=image, GroupId=s.state["group"], VersionName="v2.0", Price=0)),
            230,
            prefix="Params [VersionName] not available",
        )

    def community():
        group, version = s.state["group"], s.state["version"]
        byname = sdk.typed("describe_community_images", {"Zone": ZONE, "Name": community_name})
        equal(byname["TotalCount"], 1, "TotalCount by Name")
        # Name matches the versions' names; the second version kept its image's name.
        equal([i["CompShareImageId"] for i in byname["ImageSet"]], [version], "ImageSet by Name (the flat versions)")
        equal([g["GroupId"] for g in sdk.raw["CompshareImageGroup"]], [group], "CompshareImageGroup (the docs' grouped key)")
        # GroupId is the docs' and the CLI's filter (not in the SDK model): every version of the group.
        bygroup = sdk.invoke("DescribeCommunityImages", {"GroupId": group})
        equal(sorted(i["CompShareImageId"] for i in bygroup["ImageSet"]), sorted(s.state["versions"]), "ImageSet by GroupId (invoke)")
        equal(bygroup["ImageSetGroup"], bygroup["CompshareImageGroup"], "ImageSetGroup vs CompshareImageGroup")
        byid = sdk.typed("describe_community_images", {"Zone": ZONE, "CompShareImageId": version})
        equal([i["CompShareImageId"] for i in byid["ImageSet"]], [version], "by CompShareImageId")
        official = sdk.typed("describe_community_images", {"Zone": ZONE, "CompShareImageId": "compshareImage-community-sdwebui"})["ImageSet"]
        equal(len(official), 1, "the official image")
        o = official[0]
        want = {"GroupId": "group-official-sdwebui", "IsOfficial": True, "AuthInfo": 1, "Price": 0, "Container": "True", "AutoStart": True, "Status": "Available"}
        equal({k: o[k] for k in want}, want, "the official community image")
        tagged = sdk.typed("describe_community_images", {"Zone": ZONE, "Tag": "LLM", "Limit": "100"})
        groups = {i["GroupId"] for i in tagged["ImageSet"]}
        expect(group in groups and "group-official-sdwebui" not in groups, "Tag=LLM: {}".format(groups))
        # Limit is a string in the SDK model; SortCondition.ASC a string too ("false").
        page = sdk.typed("describe_community_images", {"Zone": ZONE, "Limit": "1", "Offset": 0, "SortCondition": {"Field": "PubTime", "ASC": "false"}})
        expect(page["TotalCount"] >= 2 and len({i["GroupId"] for i in page["ImageSet"]}) == 1, "Limit=1 counts groups: {}".format(page["TotalCount"]))
        user = sdk.typed("describe_user_community_images", {"Zone": ZONE, "Name": community_name})
        equal([g["GroupId"] for g in user["ImageSetGroup"]], [group], "DescribeUserCommunityImages of the caller")
        equal(other.typed("describe_user_community_images", {"Zone": ZONE, "Name": community_name})["TotalCount"], 0, "the other account has published nothing")
        seen = other.typed("describe_community_images", {"Zone": ZONE, "Name": community_name})
        equal(seen["TotalCount"], 1, "another account sees the public version")

    def favorites():
        group = s.state["group"]

        def mine():
            return sdk.typed("describe_self_community_images", {"Zone": ZONE, "GroupId": group})["ImageSetGroup"][0]

        sdk.invoke("CreateCompShareImageFavorite", {"GroupId": group})
        g = mine()
        equal((g["IsFavorite"], g["FavoritesCount"]), (True, 1), "IsFavorite and FavoritesCount after CreateCompShareImageFavorite")
        other.invoke("CreateCompShareImageFavorite", {"GroupId": group})
        equal(mine()["FavoritesCount"], 2, "FavoritesCount after the other account's favorite")
        sdk.invoke("CreateCompShareImageFavorite", {"GroupId": group})
        equal(mine()["FavoritesCount"], 2, "a second favorite of the same account counts once")
        sdk.invoke("DeleteCompShareImageFavorite", {"GroupId": group})
        g = mine()
        equal((g["IsFavorite"], g["FavoritesCount"]), (False, 1), "after DeleteCompShareImageFavorite")
        other.invoke("DeleteCompShareImageFavorite", {"GroupId": group})
        sdk.invoke("DeleteCompShareImageFavorite", {"GroupId": group})  # not a favorite: still succeeds
        equal(mine()["FavoritesCount"], 0, "FavoritesCount at the end")
        # The public listing shows it too (the official group is left alone: other suites count its favorites).
        sdk.invoke("CreateCompShareImageFavorite", {"GroupId": group})
        listed = sdk.invoke("DescribeCommunityImages", {"GroupId": group})["CompshareImageGroup"]
        equal([(x["GroupId"], x["IsFavorite"], x["FavoritesCount"]) for x in listed], [(group, True, 1)], "DescribeCommunityImages of the favorite group")
        equal(other.invoke("DescribeCommunityImages", {"GroupId": group})["CompshareImageGroup"][0]["IsFavorite"], False, "IsFavorite is the caller's")
        sdk.invoke("DeleteCompShareImageFavorite", {"GroupId": group})
        listed = sdk.invoke("DescribeCommunityImages", {"GroupId": group})["CompshareImageGroup"]
        equal(listed[0]["IsFavorite"], False, "DescribeCommunityImages after the delete")
        expect_error(lambda: sdk.invoke("CreateCompShareImageFavorite", {"GroupId": "group-doesnotexist"}), 226614, "ImageNotFound")
        expect_error(lambda: sdk.invoke("CreateCompShareImageFavorite", {}), 220, message="Missing params [GroupId]")

    def take_down():
        image = s.state["cimage"]
        expect_error(lambda: sdk.typed("terminate_comp_share_custom_image", {"Zone": ZONE, "CompShareImageId": image}), 226618, "ImagePublished")
        for version in s.state["versions"]:
            sdk.typed("update_comp_share_image", {"Zone": ZONE, "CompShareImageId": version, "Visibility": 0})
        equal(sdk.invoke("DescribeCommunityImages", {"GroupId": s.state["group"]})["TotalCount"], 0, "public versions after Visibility 0")
        equal(sdk.typed("describe_community_images", {"Zone": ZONE, "Name": community_name})["TotalCount"], 0, "by Name after Visibility 0")
        statuses = [x["Status"] for x in sdk.typed("describe_self_community_images", {"Zone": ZONE, "GroupId": s.state["group"]})["ImageSetGroup"][0]["Data"]]
        equal(statuses, ["Offline", "Offline"], "the versions in the owner's list")
        expect_error(lambda: sdk.invoke("CreateCompShareImageFavorite", {"GroupId": s.state["group"]}), 226614, "ImageNotFound")
        sdk.typed("terminate_comp_share_custom_image", {"Zone": ZONE, "CompShareImageId": image})
        equal(sdk.typed("describe_comp_share_custom_images", {"Zone": ZONE, "CompShareImageId": image})["TotalCount"], 0, "the custom image is deleted")

    def container_cleanup():
        terminate(s.state["container"])

    s.check("A container instance (App image): InstanceType Container", container)
    s.check("UpdateCompShareInstancePorts: HTTP and TCP ports in Softwares; errors", ports, needs=["container"])
    s.check("UpdateCompShareInstancePorts on a virtual machine: 230", ports_on_vm)
    s.check("A custom image of the container instance: Container True", container_image, needs=["container"])
    s.check("UpdateCompShareImage: Description, Tags, Readme (typed), Name (invoke); ImageNotFound", update_image, needs=["cimage"])
    s.check("ModifyCompShareImageShareAccount, DescribeCompShareImageShareAccounts, DescribeCompShareSharingImages", share, needs=["cimage"])
    s.check("PublishCompShareImage (typed; a second version by invoke); DescribeSelfCommunityImages", publish, needs=["cimage"])
    s.check("PublishCompShareImage errors: unknown image, another account's, a version that exists", publish_errors, needs=["cimage", "group"])
    s.check("DescribeCommunityImages and DescribeUserCommunityImages: filters, Tag, Limit, SortCondition", community, needs=["group", "versions"])
    s.check("Create/DeleteCompShareImageFavorite (invoke): IsFavorite and FavoritesCount", favorites, needs=["group"])
    s.check("A published image: Terminate is ImagePublished (226618); Visibility 0 takes it down; then deleted", take_down, needs=["cimage", "versions"])
    s.check("Terminate the container instance", container_cleanup, needs=["container"])

    # =========================================================================================
    # Typed methods of the SDK whose actions the server does not implement.

    def not_implemented():
        calls = [
            ("attach_us_33", "AttachUS3", {"Zone": ZONE, "UHostId": NOT_FOUND}),
            ("get_software_url", "GetSoftwareURL", {"Zone": ZONE, "UHostId": NOT_FOUND, "Software": "JupyterLab"}),
            ("copy_comp_share_custom_image", "CopyCompShareCustomImage", {"CompShareImageId": "compshareImage-nope"}),
            ("describe_model_repository_tags", "DescribeModelRepositoryTags", {"Zone": ZONE}),
            ("get_open_claw_model_list", "GetOpenClawModelList", {}),
        ]
        for method, action, req in calls:
            expect_error(lambda: sdk.typed(method, req), 161, message="Action [{}] not found".format(action), action=action)

    s.check(
        "Not implemented by the server (reported): AttachUS3, GetSoftwareURL, CopyCompShareCustomImage, DescribeModelRepositoryTags, GetOpenClawModelList answer 161",
        not_implemented,
    )


def vm_image_not_publishable(s, sdk):
    """Only images of container instances can be published. main.py's instance `a` is a virtual
    machine (made from the Ubuntu image) that was reinstalled from the PyTorch (App) image; its
    custom image `image` is still a virtual machine's. And the image of a fresh Ubuntu VM."""

    def refuse(image):
        try:
            expect_error(
                lambda: sdk.typed("publish_comp_share_image", {"Zone": ZONE, "CompShareImageId": image, "Price": 0, "CommunityImageName": "py-vm-{}".format(image)}),
                226617,
                "ImageNotPublishable",
            )
        except CheckFailed:
            # Published after all: take the versions down, so that the image can be deleted later.
            for g in sdk.invoke("DescribeSelfCommunityImages", {"Name": "py-vm-{}".format(image)})["CompshareImageGroup"]:
                for v in g["Data"]:
                    sdk.invoke("UpdateCompShareImage", dict(on, CompShareImageId=v["CompShareImageId"], Visibility=0))
            raise

    def reinstalled():
        h = describe_one(sdk, s.state["a"])
        equal((h["InstanceType"], h["CompShareImageId"]), ("UHost", PYTORCH), "instance a: a virtual machine running the App image")
        refuse(s.state["image"])

    def fresh():
        ids = sdk.typed("create_comp_share_instance", dict(CREATE, Name="py-vm-image", ChargeType="Postpay"))["UHostIds"]
        vm = ids[0]
        try:
            wait_state(sdk, vm, "Running")
            image = sdk.typed("create_comp_share_custom_image", dict(on, UHostId=vm, Name="py-vm-image"))["CompShareImageId"]

            def available():
                got = sdk.typed("describe_comp_share_custom_images", {"Zone": ZONE, "CompShareImageId": image})["ImageSet"]
                return got and got[0]["Status"] == "Available"

            until(available, settle_s(), "the VM's image to be Available")
            equal(sdk.raw["ImageSet"][0]["Container"], "False", "Container of a VM's image")
            refuse(image)
            sdk.typed("terminate_comp_share_custom_image", {"Zone": ZONE, "CompShareImageId": image})
        finally:
            when_free(lambda: sdk.typed("terminate_comp_share_instance", dict(on, UHostId=vm)))

    s.check("PublishCompShareImage of a fresh Ubuntu VM's image: ImageNotPublishable (226617)", fresh)
    s.check("PublishCompShareImage of the image of a VM reinstalled from an App image: ImageNotPublishable (226617)", reinstalled, needs=["image"])
