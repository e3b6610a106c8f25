"""Money as CompShare's charge guides move it, through the official SDK (the default account,
whose balance the operator sets with `ocs balance`, as checks.operator_balance runs it):

- a prepaid create (the default Month) pays its first period at once, at the price
  GetCompShareInstancePrice quotes, as a `buy` bill;
- one the balance does not cover is refused with 226622 and makes nothing;
- a Terminate of a stopped Day instance credits what GetCompShareRefundPrice quoted;
- data disks are kept by a Terminate, and released with ReleaseUDisk=True;
- no Create while an order is unpaid (226601), and a top-up that pays it lets the account create.

Bills are read with DescribeCompShareBills (our extension) through invoke. The balance is put
back at the end, for the checks that run later.
"""
import time

from checks import operator_balance
from harness import CREATE, REGION, ZONE, describe_one, equal, expect, expect_error, stop_for_terminate, until, wait_gone, wait_state, when_free

from .common import create_on, inst, terminate_on

START_BALANCE = 1000000


def run(s, sdk, other):
    create = create_on(sdk)
    terminate = terminate_on(sdk)

    def bills_of(uhost):
        return sdk.invoke("DescribeCompShareBills", {"ResourceId": uhost, "Limit": 100})["BillSet"]

    def balance():
        return sdk.invoke("DescribeCompShareBills", {"Limit": 1})["Balance"]

    def quote(charge_type, **extra):
        req = dict(Region=REGION, Zone=ZONE, GpuType="4090", Gpu="1", Cpu="16", Memory="65536", ChargeType=charge_type,
                   Disks=[{"IsBoot": True, "Type": "CLOUD_SSD", "Size": 100}])
        req.update(extra)
        # The SDK's typed model keeps Instance only; the docs' answer (invoke) has every part.
        d = sdk.invoke("GetCompShareInstancePrice", req)["PriceDetails"][0]
        return round(d["Instance"] + d["Disks"] + d["SystemDisks"] + d["CompShareImage"], 2)

    def count():
        return sdk.typed("describe_comp_share_instance", {"Region": REGION, "Zone": ZONE, "Limit": 100})["TotalCount"]

    def prepaid_create_pays():
        price = quote("Month")
        before = balance()
        ids = sdk.typed("create_comp_share_instance", dict(CREATE, Name="py-money-month"))["UHostIds"]
        s.state["money_month"] = ids[0]
        after = balance()
        equal(round(before - after, 2), price, "the balance paid the quoted Month price at Create")
        buys = [b for b in bills_of(ids[0]) if b["Kind"] == "buy"]
        equal(len(buys), 1, "one buy bill")
        equal((buys[0]["Amount"], buys[0]["PayStatus"]), (-price, "Paid"), "the buy bill")
        wait_state(sdk, ids[0], "Running")

    def uncovered_create_refused():
        operator_balance("set", "default", 50)
        try:
            n = count()
            e = expect_error(lambda: sdk.typed("create_comp_share_instance", dict(CREATE, Name="py-money-poor")), 226622, "BalanceNotEnough")
            expect("the balance is 50.00 CNY" in e.message, "the refusal names the balance: {!r}".format(e.message))
            equal(count(), n, "instances after a refused Create")
            equal(balance(), 50, "the balance after a refused Create")
        finally:
            operator_balance("set", "default", START_BALANCE)

    def terminate_refunds():
        uhost = create("py-money-day", ChargeType="Day")
        stop_for_terminate(sdk, uhost)
        quoted = sdk.typed("get_comp_share_refund_price", {"Region": REGION, "Zone": ZONE, "UHostIds": [uhost]})["RefundPriceSet"][0]["RefundPrice"]
        expect(quoted > 0, "a Day instance just bought has a refund: {}".format(quoted))
        when_free(lambda: sdk.typed("terminate_comp_share_instance", inst(uhost)))
        wait_gone(sdk, uhost)
        refunds = [b for b in bills_of(uhost) if b["Kind"] == "refund"]
        equal(len(refunds), 1, "one refund bill")
        # The refund is fixed when Terminate is accepted, a moment after the quote: within a fen.
        expect(abs(refunds[0]["Amount"] - quoted) <= 0.011, "refund {} vs the quote {}".format(refunds[0]["Amount"], quoted))

    def release_disks():
        disks = [{"IsBoot": True, "Type": "CLOUD_SSD", "Size": 100}, {"IsBoot": False, "Type": "CLOUD_SSD", "Size": 20}]

        def disk(disk_id):
            got = sdk.invoke("DescribeCompshareDisk", {"UDiskId": disk_id})["DiskSet"]
            return got[0] if got else None

        def data_disk_of(uhost):
            got = sdk.invoke("DescribeCompshareDisk", {"HostId": uhost})["DiskSet"]
            equal(len(got), 1, "one data disk on {}".format(uhost))
            return got[0]["UDiskId"]

        kept_host = create("py-money-keep", ChargeType="Postpay", Disks=disks)
        kept = data_disk_of(kept_host)
        terminate(kept_host)
        equal((disk(kept) or {}).get("Status"), "Available", "the data disk kept (detached) by a default Terminate")
        when_free(lambda: sdk.typed("delete_compshare_disk", dict(Region=REGION, Zone=ZONE, UDiskId=kept, OrganizationID=0, TopOrganizationID=0)))
        released_host = create("py-money-release", ChargeType="Postpay", Disks=disks)
        released = data_disk_of(released_host)
        stop_for_terminate(sdk, released_host)
        # The typed model of TerminateCompShareInstance has no ReleaseUDisk (it drops it): invoke, as CompShare's CLI does.
        when_free(lambda: sdk.invoke("TerminateCompShareInstance", dict(inst(released_host), ReleaseUDisk=True)))
        wait_gone(sdk, released_host)
        until(lambda: disk(released) is None, 30, "the data disk released with the instance to be deleted")

    def unpaid_refuses_create():
        uhost = create("py-money-owe", ChargeType="Postpay")
        # Running for 20 s at 1.66 CNY an hour costs about a fen; billed at the stop's next policy pass.
        time.sleep(20)
        operator_balance("set", "default", 0)
        try:
            when_free(lambda: sdk.typed("stop_comp_share_instance", inst(uhost)))
            wait_state(sdk, uhost, "Stopped")
            until(lambda: [b for b in bills_of(uhost) if b["PayStatus"] == "Unpaid"], 30, "an unpaid bill of the part of an hour")
            e = expect_error(lambda: sdk.typed("create_comp_share_instance", dict(CREATE, Name="py-money-refused", ChargeType="Postpay")), 226601, "InArrears")
            expect("unpaid orders" in e.message, "the refusal says why: {!r}".format(e.message))
        finally:
            operator_balance("topup", "default", START_BALANCE)
        expect(all(b["PayStatus"] == "Paid" for b in bills_of(uhost)), "the top-up paid the unpaid bill")
        again = create("py-money-again", ChargeType="Postpay")
        terminate(again)
        terminate(uhost)

    def cleanup():
        uhost = s.state["money_month"]
        if describe_one(sdk, uhost):
            terminate(uhost)

    s.check("Money: a prepaid Create pays the quoted first Month at once (a buy bill)", prepaid_create_pays)
    s.check("Money: a Create the balance does not cover is BalanceNotEnough (226622) and makes nothing", uncovered_create_refused)
    s.check("Money: Terminate of a stopped Day instance credits the quoted refund", terminate_refunds)
    s.check("Money: Terminate keeps data disks; ReleaseUDisk=True deletes them", release_disks)
    s.check("Money: no Create while an order is unpaid (226601); a top-up lets it create", unpaid_refuses_create)
    s.check("Money: the Month instance terminated", cleanup, needs=["money_month"])
