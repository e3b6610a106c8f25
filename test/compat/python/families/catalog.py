"""The catalog, read-only: zones, machine type families, instance types and their sizes, resource
capacity, software ports, the network optimizer, the model repository, the GPU inventory and the
image tags, each with its parameter errors.
"""
import json
import time

from harness import REGION, UBUNTU, ZONE, equal, expect, expect_error

from .common import is_int, is_num, on


# The sizes of a 4090 (DescribeAvailableCompShareInstanceTypes): GPU n → 16n CPUs, 64n or 96n GB.
SIZE_1 = {"Gpu": 1, "Cpu": 16, "Mem": 64, "ResourceEnough": True}


def run(s, sdk, other):
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
