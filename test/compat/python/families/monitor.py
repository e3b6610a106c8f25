"""Monitoring, on the Postpay billing instance: GetCompShareInstanceMonitor typed (the SDK's
response model has no fields) and the docs' Data of the raw answer; a ranged query adds the
traffic; an unknown instance and too many instances are errors.
"""
import time

from harness import equal, expect, expect_error

from .common import NOT_FOUND, is_int, is_num, on


def run(s, sdk, other):
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
