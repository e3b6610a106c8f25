"""Track 1: catalog — read-only commands, planning without creating, error paths. The zones,
families, search, price and billing quotes, network, models, ports and software, the image lists
and tags, create --dry-run / --max-price / --max-count, and the error paths: a bad signature, an
unknown instance or image, usage errors.
"""
from harness import (
    AT,
    CREATE,
    PYTORCH,
    REGION,
    UBUNTU,
    WAIT_TIMEOUT,
    ZONE,
    api_error,
    batch_failure,
    batch_ok,
    described,
    equal,
    expect,
    positive,
    settle_s,
    short,
    until,
    usage_error,
)
from commands import image_items, items, listed
from session import cli, s


def track_catalog():
    def zones():
        doc = cli.ok_doc("instance", "zones")
        rows = items(doc["data"], "zones")
        expect({"Region": REGION, "Zone": ZONE} in [{"Region": z.get("Region"), "Zone": z.get("Zone")} for z in rows], "{}/{} missing: {}".format(REGION, ZONE, short(rows)))
        for z in rows:
            expect(z.get("Region") and z.get("Zone") and z.get("Describe"), "a zone without Region/Zone/Describe: {}".format(z))
        equal((doc["meta"].get("action"), doc["meta"].get("ret_code"), doc["meta"].get("returned")), ("DescribeCompShareSupportZoneResponse", 0, len(rows)), "meta")
        only = items(cli.ok("instance", "zones", "--region", REGION), "zones --region")
        expect(only and all(z.get("Region") == REGION for z in only), "zones --region {}: {}".format(REGION, short(only)))

    def families():
        rows = items(cli.ok("instance", "families"), "families")
        expect(all(isinstance(f.get("Name"), str) and f["Name"] and isinstance(f.get("Description"), str) for f in rows), "families need Name and Description: {}".format(short(rows)))
        expect("4090" in [f["Name"] for f in rows], "4090 missing from the families: {}".format(short(rows)))

    def search():
        data = cli.ok("instance", "search", *AT)
        machines = {m.get("Name"): m for m in data.get("AvailableInstanceTypes") or []}
        expect("4090" in machines, "4090 missing from AvailableInstanceTypes: {}".format(sorted(machines)))
        m = machines["4090"]
        equal(m.get("Zone"), ZONE, "the 4090's Zone")
        positive((m.get("GraphicsMemory") or {}).get("Value"), "GraphicsMemory.Value")
        specs = [(size.get("Gpu"), c.get("Cpu"), mem) for size in m.get("MachineSizes") or [] for c in size.get("Collection") or [] for mem in c.get("Memory") or []]
        expect((1, 16, 64) in specs, "the spec 1 GPU / 16 CPU / 64 GiB is missing: {}".format(specs[:10]))
        expect(all(all(isinstance(v, int) and not isinstance(v, bool) for v in spec) for spec in specs), "Gpu, Cpu and Memory must be integers: {}".format(specs[:10]))

    def search_gpu():
        data = cli.ok("instance", "search", *AT, "--gpu", "4090")
        names = [m.get("Name") for m in data.get("AvailableInstanceTypes") or []]
        expect(names and all(n == "4090" for n in names), "search --gpu 4090 answered {}".format(names))

    def search_stock():
        data = cli.ok("instance", "search", *AT, "--gpu", "4090", "--image", UBUNTU, "--available")
        inventory = (data.get("Inventory") or {}).get("4090")
        expect(isinstance(inventory, list) and inventory, "data.Inventory['4090'] should list the specs: {}".format(short(data.get("Inventory"))))
        expect({"Gpu": 1, "Cpu": 16, "Mem": 64, "ResourceEnough": True} in [{k: i.get(k) for k in ("Gpu", "Cpu", "Mem", "ResourceEnough")} for i in inventory],
               "1/16/64 should be in stock: {}".format(short(inventory)))
        usage_error(cli.run("instance", "search", *AT, "--available"), "--available requires --image")

    def price():
        rows = items(cli.ok("instance", "price", "--gpu", "4090", "--count", "1", "--cpu", "16", "--memory", "64GiB", *AT), "price")
        by = {r.get("ChargeType"): r for r in rows}
        for charge in ("Postpay", "Day", "Month"):
            expect(charge in by, "price should quote {}: {}".format(charge, short(rows)))
            positive(by[charge].get("Instance"), "{} Instance price".format(charge))
        expect(by["Day"]["Instance"] > by["Postpay"]["Instance"], "a day should cost more than an hour: {}".format(short(rows)))
        one = items(cli.ok("instance", "price", "--gpu", "4090", "--cpu", "16", "--memory", "64GiB", "--charge", "Day", "--disk", "200GiB", "--image", PYTORCH, *AT), "price --charge Day")
        equal([r.get("ChargeType") for r in one], ["Day"], "ChargeTypes quoted for --charge Day")
        positive(one[0].get("Instance"), "Day Instance price")

    def billing():
        rows = items(cli.ok("instance", "billing", "--gpu", "4090", "--cpu", "16", "--memory", "64GiB", *AT), "billing")
        by = {r.get("ChargeType"): r for r in rows}
        expect("Postpay" in by, "billing should quote Postpay: {}".format(short(rows)))
        positive(by["Postpay"].get("Instance"), "Postpay Instance price")

    def network():
        data = cli.ok("instance", "network")
        expect(isinstance(data.get("Optimized"), bool), "Optimized should be a bool: {}".format(short(data)))
        expect(REGION in [i.get("Region") for i in data.get("Info") or []], "Info should list {}: {}".format(REGION, short(data)))
        zoned = cli.ok("instance", "network", *AT)
        expect(isinstance(zoned.get("Optimized"), bool), "network --region --zone: {}".format(short(zoned)))

    def models():
        rows = items(cli.ok("instance", "models", "--region", REGION), "models")
        expect(rows and all(r.get("Name") and r.get("Path") for r in rows), "models need Name and Path: {}".format(short(rows)))
        qwen = items(cli.ok("instance", "models", "--region", REGION, "--name", "Qwen"), "models --name")
        expect(qwen and all("qwen" in r["Name"].casefold() for r in qwen) and len(qwen) < len(rows), "models --name Qwen: {}".format(short(qwen)))

    def ports_and_software():
        for cmd in (("instance", "ports", "list"), ("instance", "software", "list")):
            rows = items(cli.ok(*cmd), " ".join(cmd))
            expect(rows and all(isinstance(r.get("Software"), str) and isinstance(r.get("Port"), int) for r in rows), "{}: {}".format(" ".join(cmd), short(rows)))
            expect({"Software": "SSH", "Port": 22} in rows, "{} should list SSH on 22: {}".format(" ".join(cmd), short(rows)))

    def platform_images():
        doc = cli.ok_doc("image", "list")
        rows = {i.get("CompShareImageId"): i for i in items(doc["data"], "image list")}
        for want in (UBUNTU, PYTORCH):
            expect(want in rows, "{} missing: {}".format(want, sorted(rows)))
        expect(all(i.get("Status") == "Available" for i in rows.values()), "platform images should be Available: {}".format(short(rows)))
        equal(doc["meta"].get("source"), "platform", "meta.source")
        expect(isinstance(doc["meta"].get("total"), int) and doc["meta"]["total"] >= 2, "meta.total: {}".format(doc["meta"]))
        app = image_items("--type", "App")
        expect(PYTORCH in app and UBUNTU not in app and all(i.get("ImageType") == "App" for i in app.values()), "image list --type App: {}".format(short(app)))
        one = cli.ok("image", "show", UBUNTU)
        equal((one.get("source"), (one.get("image") or {}).get("CompShareImageId")), ("platform", UBUNTU), "image show")
        expect((one["image"]).get("Name"), "image show: no Name")

    def community_and_favorite():
        rows = image_items("--source", "community")
        expect(rows, "the community list is empty")
        image_id = sorted(rows)[0]
        shown = cli.ok("image", "show", image_id, "--source", "community")["image"]
        group = shown.get("GroupId")
        expect(group, "the community image {} has no GroupId: {}".format(image_id, short(shown)))
        before = shown.get("FavoritesCount")
        expect(isinstance(before, int), "FavoritesCount should be an integer: {!r}".format(before))
        equal(cli.ok("image", "favorite", group), {}, "image favorite data")
        after = cli.ok("image", "show", image_id, "--source", "community")["image"].get("FavoritesCount")
        equal(after, before + 1, "FavoritesCount after image favorite {}".format(group))
        equal(cli.ok("image", "unfavorite", group), {}, "image unfavorite data")
        again = cli.ok("image", "show", image_id, "--source", "community")["image"].get("FavoritesCount")
        equal(again, before, "FavoritesCount after image unfavorite {}".format(group))
        api_error(cli.run("image", "favorite", "group-does-not-exist"), 226614, "CreateCompShareImageFavorite", "ImageNotFound")

    def image_tags():
        data = cli.ok("image", "tags")
        tags = data.get("Tags")
        expect(isinstance(tags, list) and tags and all(isinstance(t, str) for t in tags), "Tags: {}".format(short(data)))

    def dry_run():
        data = cli.ok(*CREATE, "--name", "cs-dry-run", "--dry-run")
        equal(data.get("dry_run"), True, "data.dry_run")
        sel = data.get("selection") or {}
        equal((sel.get("GpuType"), sel.get("GPU"), sel.get("CPU"), sel.get("Memory"), sel.get("CompShareImageId"), sel.get("ChargeType")),
              ("4090", 1, 16, 65536, UBUNTU, "Postpay"), "data.selection")
        equal({k: (data.get("capacity") or {}).get(k) for k in ("Gpu", "Cpu", "Mem", "ResourceEnough")}, {"Gpu": 1, "Cpu": 16, "Mem": 64, "ResourceEnough": True}, "data.capacity")
        details = (data.get("price") or {}).get("PriceDetails") or []
        expect(details, "data.price has no PriceDetails: {}".format(short(data.get("price"))))
        positive(details[0].get("Instance"), "PriceDetails[0].Instance")
        equal((data.get("request") or {}).get("Name"), "cs-dry-run", "data.request.Name")
        expect(not [h for h in listed().values() if h.get("Name") == "cs-dry-run"], "--dry-run created an instance")

    def max_price():
        usage_error(cli.run(*CREATE, "--name", "cs-too-dear", "--max-price", "0.01"), "exceeds --max-price")
        expect(not [h for h in listed().values() if h.get("Name") == "cs-too-dear"], "--max-price refused, yet an instance was created")

    def max_count():
        data = cli.ok(*CREATE, "--name", "cs-pair", "--max-count", "2", "--wait", *WAIT_TIMEOUT)
        ids = (data.get("instance") or {}).get("UHostIds") or []
        equal(len(ids), 2, "number of UHostIds for --max-count 2")
        equal((data.get("selection") or {}).get("MaxCount"), 2, "selection.MaxCount")
        finals = data.get("final") or []
        equal(sorted(described(f, i).get("State") for f, i in zip(finals, ids)), ["Running", "Running"], "States after --wait")
        s.state["pair"] = ids
        both = listed("--id", ids[0], "--id", ids[1])
        equal(sorted(both), sorted(ids), "instance list --id X --id Y")
        expect(all(h.get("Name") == "cs-pair" for h in both.values()), "the pair's names: {}".format(short(both)))

    def delete_pair():
        ids = s.state["pair"]
        # Only a Stopped instance may be deleted: `instance stop X Y --wait` first.
        cli.ok("instance", "stop", *ids, "-y", "--wait", *WAIT_TIMEOUT)
        data = cli.ok("instance", "delete", *ids, "-y", "--wait", *WAIT_TIMEOUT)
        for i in ids:
            batch_ok(data, i, "TerminateCompShareInstance")
        until(lambda: not listed("--id", ids[0], "--id", ids[1]), settle_s(), "the pair to leave instance list", 0.5)

    def errors():
        # A wrong private key: the server refuses the signature (RetCode 171), the CLI exits 1.
        api_error(cli.run("instance", "zones", extra_env={"COMPSHARE_PRIVATE_KEY": "not-the-key"}), 171, "DescribeCompShareSupportZone")
        # An unknown instance: Describe answers RetCode 0 and no host, and the CLI says so itself.
        usage_error(cli.run("instance", "show", "uhost-doesnotexist"), "uhost-doesnotexist was not found")
        inner = batch_failure(cli.run("instance", "reboot", "uhost-doesnotexist", "-y"), "uhost-doesnotexist")
        expect("not found" in inner["message"], "reboot of an unknown instance: {}".format(inner))
        # An unknown image, straight to the API: ImageNotFound.
        api_error(cli.run("image", "progress", "compshareImage-doesnotexist", "--region", REGION), 226614, "GetCompShareImageCreateProgress", "ImageNotFound")
        # Usage errors, the CLI's own and click's: exit 2.
        usage_error(cli.run("instance", "list", "--region", REGION), "--region and --zone must be provided together")
        usage_error(cli.run("instance", "create", "--gpu", "4090", "--count", "0", "--cpu", "16", "--memory", "64GiB", "--image", UBUNTU, *AT, "--yes"), "--count")
        usage_error(cli.run("instance", "bogus"), "No such command")
        usage_error(cli.run("instance", "create", "--gpu", "4090"), "JSON mode cannot start the interactive wizard")

    s.check("instance zones (and --region) list the zones", zones)
    s.check("instance families lists the GPU families", families)
    s.check("instance search lists the 4090 and its 1/16/64 spec", search)
    s.check("instance search --gpu 4090 lists only the 4090", search_gpu)
    s.check("instance search --image --available shows the stock; --available alone is refused", search_stock)
    s.check("instance price quotes every billing type, and --charge Day alone", price)
    s.check("instance billing quotes a positive Postpay price", billing)
    s.check("instance network answers Optimized and Info", network)
    s.check("instance models lists the repository, and --name filters it", models)
    s.check("instance ports list / software list list SSH on 22", ports_and_software)
    s.check("image list (platform, --type App) and image show", platform_images)
    s.check("image list --source community, image favorite/unfavorite by group id", community_and_favorite)
    s.check("image tags lists the tags", image_tags)
    s.check("instance create --dry-run plans without creating", dry_run)
    s.check("instance create --max-price below the quote is refused, nothing created", max_price)
    s.check("instance create --max-count 2 --wait makes two Running instances", max_count)
    s.check("instance delete X Y --wait deletes both", delete_pair, needs=["pair"])
    s.check("error paths: bad signature (171), unknown instance, unknown image (226614), usage errors (exit 2)", errors)
