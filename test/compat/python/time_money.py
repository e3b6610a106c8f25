"""Money that moves with time, through the official Python SDK, against a server of its own in
testing mode (test/compat/run.ts starts it after the other suites: moving its clock would move
theirs). AdvanceCompShareClock (through the SDK's `invoke`) stands in for the hours and days:

- a pay-as-you-go data disk pays each hour from its creation, at the price
  GetCompShareInstancePrice quotes for it;
- a stopped pay-as-you-go instance pays each hour for its system disk above the free size, at
  the quoted SystemDisks price, and nothing while its disk is within it;
- a custom image above the free 30 GB pays 0.008 CNY per GB per day, once a day;
- a Day instance is renewed from the balance when its day ends, at the quoted Day price, and its
  ExpireTime moves a day on;
- every bill the time made is paid, and the balance is what the bills add up to.

Each check reads DescribeCompShareBills (our extension) through `invoke`.
"""
from harness import CREATE, REGION, ZONE, Sdk, Suite, describe_one, equal, expect, settle_s, until, wait_state

HOUR = 3600
DAY = 86400

s = Suite("python-time")
sdk = Sdk()


def advance(seconds):
    got = sdk.invoke("AdvanceCompShareClock", {"Seconds": seconds})
    expect(got["OffsetSeconds"] >= seconds, "the clock moved: {}".format(got))
    return got


def bills(**filters):
    req = {"Limit": 100}
    req.update(filters)
    return sdk.invoke("DescribeCompShareBills", req)["BillSet"]


def quote(charge_type, disks):
    req = dict(Region=REGION, Zone=ZONE, GpuType="4090", Gpu="1", Cpu="16", Memory="65536", ChargeType=charge_type, Disks=disks)
    return sdk.invoke("GetCompShareInstancePrice", req)["PriceDetails"][0]


def running(name, **extra):
    req = dict(CREATE, Name=name)
    req.update(extra)
    uhost = sdk.typed("create_comp_share_instance", req)["UHostIds"][0]
    wait_state(sdk, uhost, "Running")
    return uhost


BOOT = {"IsBoot": True, "Type": "CLOUD_SSD", "Size": 100}


def testing_mode():
    clock = sdk.invoke("DescribeCompShareClock", {})
    equal(clock["OffsetSeconds"], 0, "a fresh server's clock is the real one")


def data_disk_hours():
    data = {"IsBoot": False, "Type": "CLOUD_SSD", "Size": 20}
    per_hour = quote("Postpay", [BOOT, data])["Disks"]
    expect(per_hour > 0, "a data disk has a price")
    uhost = running("py-time-disk", ChargeType="Postpay", Disks=[BOOT, data])
    disk = describe_one(sdk, uhost)["DiskSet"]
    disk_id = [d["DiskId"] for d in disk if d["IsBoot"] != "True"][0]
    advance(3 * HOUR)
    hours = [b for b in bills(ResourceId=disk_id) if b["Kind"] == "disk"]
    expect(len(hours) >= 3, "3 hours of the data disk billed: {}".format(hours))
    for b in hours:
        equal((b["Amount"], b["PayStatus"], b["ResourceType"]), (-per_hour, "Paid", "Disk"), "an hour of the disk")
        equal(b["EndTime"] - b["BeginTime"], HOUR, "an hour's period")
    s.state["disk_uhost"] = uhost


def stopped_instance_idle_hours():
    big = dict(BOOT, Size=300)
    per_hour = quote("Postpay", [big])
    idle_price = round(per_hour["SystemDisks"] + per_hour["CompShareImage"], 2)
    expect(idle_price > 0, "a 300 GB system disk costs something above the free size: {}".format(per_hour))
    expect(quote("Postpay", [BOOT])["SystemDisks"] == 0, "a system disk of the free size is free")
    paying = running("py-time-idle", ChargeType="Postpay", Disks=[big])
    free = running("py-time-free", ChargeType="Postpay")
    for uhost in (paying, free):
        sdk.typed("stop_comp_share_instance", {"Region": REGION, "Zone": ZONE, "UHostId": uhost})
    for uhost in (paying, free):
        wait_state(sdk, uhost, "Stopped")
    advance(3 * HOUR)
    idle = [b for b in bills(ResourceId=paying) if b["Kind"] == "idle"]
    expect(len(idle) >= 2, "idle hours of the stopped instance: {}".format(idle))
    for b in idle:
        equal((b["Amount"], b["PayStatus"]), (-idle_price, "Paid"), "an idle hour")
    equal([b for b in bills(ResourceId=free) if b["Kind"] == "idle"], [], "a stopped instance within the free size pays nothing")


def image_storage_per_day():
    uhost = s.state["disk_uhost"]
    image_id = sdk.invoke("CreateCompShareCustomImage", {"Region": REGION, "Zone": ZONE, "UHostId": uhost, "Name": "py-time-image"})["CompShareImageId"]

    def available():
        got = sdk.invoke("DescribeCompShareCustomImages", {"Region": REGION, "Zone": ZONE, "CompShareImageId": image_id})["ImageSet"]
        return got[0] if got and got[0]["Status"] == "Available" else None

    image = until(available, settle_s() + 30, "the custom image to be Available")
    size = image["Size"]
    expect(size > 30, "the image is above the free 30 GB: {} GB".format(size))
    advance(DAY + HOUR)
    storage = [b for b in bills(Kind="storage")]
    equal(len(storage), 1, "one storage bill for the day")
    equal((storage[0]["Amount"], storage[0]["ResourceType"]), (-round((size - 30) * 0.008, 2), "Image"), "the day's storage")
    equal(storage[0]["EndTime"] - storage[0]["BeginTime"], DAY, "a day's period")


def day_instance_renewed():
    price = quote("Day", [BOOT])
    day_price = round(price["Instance"] + price["Disks"] + price["SystemDisks"] + price["CompShareImage"], 2)
    uhost = running("py-time-day", ChargeType="Day")
    first = describe_one(sdk, uhost)["ExpireTime"]
    advance(DAY + 60)
    renewals = [b for b in bills(ResourceId=uhost) if b["Kind"] == "renew"]
    equal(len(renewals), 1, "one renewal")
    equal((renewals[0]["Amount"], renewals[0]["PayStatus"]), (-day_price, "Paid"), "the renewal, at the quoted Day price")
    equal(describe_one(sdk, uhost)["ExpireTime"], first + DAY, "the ExpireTime moved a day on")
    equal(describe_one(sdk, uhost)["State"], "Running", "a renewed instance runs on")


def balance_is_its_bills():
    got = sdk.invoke("DescribeCompShareBills", {"Limit": 100})
    equal(got["Unpaid"], 0, "nothing unpaid")
    total = 0.0
    offset = 0
    while True:
        page = sdk.invoke("DescribeCompShareBills", {"Limit": 100, "Offset": offset})["BillSet"]
        if not page:
            break
        total += sum(b["Amount"] for b in page if b["PayStatus"] == "Paid")
        offset += len(page)
    equal(round(total, 2), round(got["Balance"], 2), "the balance is the sum of the paid bills")


s.check("the server is in testing mode, its clock unmoved", testing_mode)
s.check("a pay-as-you-go data disk pays each hour at its quoted price", data_disk_hours)
s.check("a stopped pay-as-you-go instance pays each hour for its system disk above the free size", stopped_instance_idle_hours)
s.check("a custom image above the free 30 GB pays per GB per day", image_storage_per_day, needs=("disk_uhost",))
s.check("a Day instance is renewed from the balance at its quoted price", day_instance_renewed)
s.check("the balance is the sum of the paid bills", balance_is_its_bills)
s.done()
