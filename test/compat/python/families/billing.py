"""Pricing and billing: instance and user prices, then two billing instances (Day and Postpay) with
their upgrade and refund prices and the charge type switches (SwitchChargeType, through invoke).
disks.py terminates the billing instances once their disks are done.
"""
import time

from harness import describe_one, equal, expect, expect_error, when_free

from .common import NOT_FOUND, create_on, inst, is_int, is_num, on


def run(s, sdk, other):
    create = create_on(sdk)

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
