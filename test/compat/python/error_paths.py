"""Error paths through RetCodeException: code, and the symbol or message. The common errors (220,
230, 161, 171, 172) with UCloud's wording, the instance errors (InstanceNotFound, ImageNotFound,
ResourceNotEnough), a refused Create the SDK retries, and Quantity, a purchase duration rather
than a number of instances.
"""
from harness import terminate_stopped, CREATE, REGION, ZONE, Env, Sdk, equal, expect, expect_error, wait_state
from session import on_instance, s, sdk


def common_errors():
    expect_error(
        lambda: sdk.invoke("RebootCompShareInstance", {"Region": REGION, "Zone": ZONE}),
        220,
        message="Missing params [UHostId]",
        action="RebootCompShareInstance",
    )
    expect_error(
        lambda: sdk.invoke("RebootCompShareInstance", {"Region": "cn-nowhere", "Zone": ZONE, "UHostId": "uhost-x"}),
        230,
        message="Params [Region] not available: cn-nowhere is not a region of this service (cn-wlcb, cn-sh2)",
    )
    expect_error(lambda: sdk.invoke("DescribeCompShareNothing", {}), 161)
    expect_error(
        lambda: Sdk(Env.public_key, "not-the-private-key").typed("describe_comp_share_instance", {}),
        171,
        message="Signature VerifyAC Error",
    )
    expect_error(lambda: Sdk("no-such-public-key", "x").typed("describe_comp_share_instance", {}), 172, message="User Not Exists")
    expect_error(lambda: sdk.typed("describe_comp_share_instance", {"Limit": -1}), 230, message="Params [Limit] not available: at least 0")


def instance_errors():
    expect_error(lambda: sdk.typed("reboot_comp_share_instance", on_instance("uhost-doesnotexist")), 8039, "InstanceNotFound")
    expect_error(
        lambda: sdk.typed("create_comp_share_instance", dict(CREATE, CompShareImageId="compshareImage-nope")),
        226614,
        "ImageNotFound",
        action="CreateCompShareInstance",
    )
    # A size the GPU type does not have is a parameter error, before any placement.
    expect_error(
        lambda: sdk.typed("create_comp_share_instance", dict(CREATE, GpuType="H20", GPU=64)),
        230,
        prefix="Params [GPU] not available",
    )
    # A size that exists, more times than there are hosts: ResourceNotEnough, and nothing made.
    expect_error(lambda: sdk.invoke("CreateCompShareInstance", TOO_MANY), 226604, "ResourceNotEnough")


# H20 x8 (184 CPUs, 1600 GB) on 17 instances at once: the simulated fleet has 16 H20 hosts per zone.
# MaxCount is the docs' and the CLI's parameter (not in the SDK model): only the generic invoke sends it.
TOO_MANY = dict(CREATE, Region=REGION, GpuType="H20", GPU=8, CPU=184, Memory=1600 * 1024, MaxCount=17)


def create_not_retried_after_creating():
    # Python's generic invoke retries every RetCode > 2000 when max_retries is set (the typed
    # create turns retries off). A refused Create must have created nothing, however often it is sent.
    retrying = Sdk(max_retries=3)
    before = sdk.typed("describe_comp_share_instance", {"Limit": 100})["TotalCount"]
    e = expect_error(lambda: retrying.invoke("CreateCompShareInstance", TOO_MANY), 226604, "ResourceNotEnough")
    expect(e.retryable, "the SDK treats 226604 as retryable")
    equal(retrying.sent, 4, "requests sent by the SDK (1 + 3 retries)")
    after = sdk.typed("describe_comp_share_instance", {"Limit": 100})["TotalCount"]
    equal(after, before, "instances after four refused Creates")


def quantity(q):
    # Quantity is the purchase duration, not a number of instances: one Create makes one instance.
    def check():
        made = []
        try:
            ids = sdk.typed("create_comp_share_instance", dict(CREATE, ChargeType="Month", Quantity=q))["UHostIds"]
            made.extend(ids)
            equal(len(ids), 1, "instances made by a Create with ChargeType=Month, Quantity={}".format(q))
        finally:
            for uhost in made:
                try:
                    wait_state(sdk, uhost, "Running")
                    terminate_stopped(sdk, on_instance(uhost))
                except Exception:  # noqa: BLE001 - best-effort cleanup
                    pass

    return check


def quantity_zero():
    # The SDKs' comment says 0 buys to the end of the month; CompShare's API page says 0 is not
    # supported. The page describes the real system: 230, and no instance made.
    before = sdk.typed("describe_comp_share_instance", {"Limit": 100})["TotalCount"]
    expect_error(lambda: sdk.typed("create_comp_share_instance", dict(CREATE, ChargeType="Month", Quantity=0)), 230, prefix="Params [Quantity] not available")
    equal(sdk.typed("describe_comp_share_instance", {"Limit": 100})["TotalCount"], before, "instances after the refused Create")


def run():
    s.check("Common errors: 220, 230, 161, 171, 172 with UCloud's wording", common_errors)
    s.check("Instance errors: InstanceNotFound, ImageNotFound, ResourceNotEnough", instance_errors)
    s.check("A Create the SDK retries (max_retries=3, RetCode > 2000) creates nothing", create_not_retried_after_creating)
    s.check("CreateCompShareInstance: Quantity=0 is refused (230), as CompShare documents", quantity_zero)
    s.check("CreateCompShareInstance: Quantity=2 is a duration and makes one instance", quantity(2))
