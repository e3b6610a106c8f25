"""Bills (DescribeCompShareBills, our extension), through the SDK's generic invoke: a Day
instance pays its first period at create, as a `buy` bill naming the instance, with a negative
Amount, its period and payment; the filters (resource, kind, payment status, time) and paging;
refusals; and the second account, which sees none of it. The bill stays after terminate.
"""

from harness import equal, expect, expect_error, until, wait_state, when_free

from .common import create_on, inst, is_int, is_num, terminate_on

FIELDS = ("BillId", "CreateTime", "ResourceId", "ResourceType", "Kind", "BeginTime", "EndTime", "Amount", "PayStatus", "PayTime", "BalanceAfter", "Remark")


def run(s, sdk, other):
    create = create_on(sdk)
    terminate = terminate_on(sdk)

    def bills(client, **params):
        resp = client.invoke("DescribeCompShareBills", params)
        expect(is_int(resp["TotalCount"]) and isinstance(resp["BillSet"], list), "TotalCount and BillSet: {}".format(resp))
        expect(is_num(resp["Balance"]) and is_num(resp["Unpaid"]), "Balance and Unpaid are numbers: {}".format(resp))
        for b in resp["BillSet"]:
            equal(sorted(b), sorted(FIELDS), "the fields of a bill")
            ints = ("CreateTime", "BeginTime", "EndTime", "PayTime")
            expect(all(is_int(b[k]) for k in ints) and is_num(b["Amount"]) and is_num(b["BalanceAfter"]), "types of {}".format(b))
            expect(b["PayStatus"] in ("Paid", "Unpaid"), "PayStatus {!r}".format(b["PayStatus"]))
        return resp

    def billed_part():
        uhost = create("py-bills", ChargeType="Day")
        s.state["bills_uhost"] = uhost
        got = until(lambda: bills(sdk, ResourceId=uhost)["BillSet"], 10, "a bill of the Day instance")
        buys = [b for b in got if b["Kind"] == "buy"]
        equal(len(buys), 1, "one buy bill of the instance: {}".format(got))
        b = buys[0]
        equal((b["ResourceId"], b["ResourceType"], b["PayStatus"]), (uhost, "Instance", "Paid"), "the bill")
        expect(b["Amount"] < 0 and b["BeginTime"] <= b["CreateTime"] + 1, "a charge from now: {}".format(b))
        expect(b["EndTime"] - b["BeginTime"] >= 86400 - 1 and b["PayTime"] >= b["CreateTime"] > 0, "a day's period, paid: {}".format(b))
        s.state["bill"] = b

    def filters():
        uhost, b = s.state["bills_uhost"], s.state["bill"]
        everything = bills(sdk, Limit=100)
        expect(b["BillId"] in [x["BillId"] for x in everything["BillSet"]], "the bill is in the account's list")
        times = [x["CreateTime"] for x in everything["BillSet"]]
        equal(times, sorted(times, reverse=True), "newest first")
        expect(all(x["Kind"] == "hour" for x in bills(sdk, Kind="hour", Limit=100)["BillSet"]), "Kind narrows")
        unpaid = bills(sdk, PayStatus="Unpaid")
        expect(all(x["PayStatus"] == "Unpaid" for x in unpaid["BillSet"]), "PayStatus narrows: {}".format(unpaid))
        equal(bills(sdk, PayStatus="Paid")["TotalCount"] + unpaid["TotalCount"], everything["TotalCount"], "Paid and Unpaid make every bill")
        ranged = bills(sdk, BeginTime=b["CreateTime"], EndTime=b["CreateTime"] + 1, ResourceId=uhost)
        equal([x["BillId"] for x in ranged["BillSet"]], [b["BillId"]], "the time range of CreateTime")
        equal(bills(sdk, BeginTime=b["CreateTime"] + 1, ResourceId=uhost)["TotalCount"], 0, "nothing after it")
        one = bills(sdk, Limit=1)
        equal((one["TotalCount"], len(one["BillSet"])), (everything["TotalCount"], 1), "Limit 1 of every bill")
        equal(bills(sdk, Offset=everything["TotalCount"])["BillSet"], [], "past the end")
        expect_error(lambda: sdk.invoke("DescribeCompShareBills", {"PayStatus": "Overdue"}), 230, prefix="Params [PayStatus] not available")
        expect_error(lambda: sdk.invoke("DescribeCompShareBills", {"BeginTime": 2000, "EndTime": 1000}), 230, prefix="Params [EndTime] not available")

    def isolation():
        uhost = s.state["bills_uhost"]
        equal(bills(other, ResourceId=uhost)["TotalCount"], 0, "another account's view of the instance's bills")
        theirs = bills(other, Limit=100)
        expect(all(x["ResourceId"] != uhost for x in theirs["BillSet"]), "another account's bills: {}".format(theirs["BillSet"]))
        when_free(lambda: sdk.typed("stop_comp_share_instance", inst(uhost)))
        wait_state(sdk, uhost, "Stopped")
        terminate(uhost)
        # The bills stay after the instance has gone.
        after = bills(sdk, ResourceId=uhost)["BillSet"]
        expect(s.state["bill"]["BillId"] in [x["BillId"] for x in after], "the bill after terminate: {}".format(after))

    s.check("DescribeCompShareBills (extension, invoke): a Day instance's first period, a buy bill, paid", billed_part)
    s.check("DescribeCompShareBills: newest first; Kind, PayStatus, BeginTime/EndTime, Limit and Offset; refusals", filters, needs=["bill"])
    s.check("DescribeCompShareBills: another account sees none of the bills; they stay after terminate", isolation, needs=["bill"])
