"""Track 4: a container instance, its ports, and the custom images made from it: ports update,
image create (--wait, and --no-wait with progress), update, share/shares/unshare with the peer,
publish, favorite/unfavorite, delete, and every image list source.
"""
from harness import (
    AT,
    PYTORCH,
    REGION,
    WAIT_TIMEOUT,
    Env,
    api_error,
    described,
    equal,
    expect,
    operator_review,
    settle_s,
    short,
    until,
    usage_error,
)
from commands import delete_wait, image_items, items, show
from session import RUN, cli, peer, s


def track_images():
    st = s.state

    def create():
        data = cli.ok("instance", "create", "--gpu", "4090", "--count", "1", "--cpu", "16", "--memory", "64GiB", "--image", PYTORCH, *AT, "--yes", "--name", "cs-pod", "--wait", *WAIT_TIMEOUT)
        ids = (data.get("instance") or {}).get("UHostIds") or []
        equal(len(ids), 1, "number of UHostIds")
        h = described((data.get("final") or [{}])[0], ids[0])
        equal((h.get("State"), h.get("CompShareImageId")), ("Running", PYTORCH), "State, CompShareImageId")
        equal(h.get("InstanceType"), "Container", "InstanceType of an instance from an App image")
        st["p"] = ids[0]

    def ports():
        p = st["p"]
        before = show(p, "--softwares").get("Softwares") or []
        equal(cli.ok("instance", "ports", "update", p, "--http", "8888", "--http", "7860", "--tcp", "22", "--tcp", "6006", "-y").get("UHostId"), p, "data.UHostId")
        after = show(p, "--softwares").get("Softwares") or []
        names = " ".join(str(x.get("Name")) for x in after)
        expect("7860" in names and "6006" in names and len(after) > len(before), "instance show --softwares should show the new ports: before {}, after {}".format(short(before), short(after)))
        usage_error(cli.run("instance", "ports", "update", p, "-y"), "Specify at least one --http or --tcp port")

    def image_create_wait():
        p = st["p"]
        data = cli.ok("image", "create", "--instance", p, "--name", "cs-img-pub", "--description", "made by the suite", "-y", "--wait", *WAIT_TIMEOUT)
        image = (data.get("operation") or {}).get("CompShareImageId")
        expect(image, "data.operation.CompShareImageId: {}".format(short(data)))
        final = data.get("final") or {}
        expect(str(final.get("Status")).casefold() == "available" or final.get("Progress") == 100, "data.final should be done: {}".format(short(final)))
        st["pub_src"] = image
        row = image_items("--source", "custom").get(image)
        expect(row and row.get("Status") == "Available" and row.get("Name") == "cs-img-pub", "image list --source custom: {}".format(short(row)))

    def image_progress():
        p = st["p"]
        data = cli.ok("image", "create", "--instance", p, "--name", "cs-img-share", "-y", "--no-wait")
        image = (data.get("operation") or {}).get("CompShareImageId")
        expect(image, "data.operation.CompShareImageId: {}".format(short(data)))
        st["img"] = image
        making = cli.ok("image", "progress", image, "--region", REGION)
        expect(making.get("Status") != "Available", "image progress right after create should be in progress (OCS_SIM_IMAGE_MS={}): {}".format(Env.image_ms, short(making)))
        percent = making.get("Progress")
        expect(isinstance(percent, (int, float)) and 0 <= percent < 100, "Progress while being made: {!r}".format(percent))
        expect(isinstance(making.get("RemainingDuration"), str), "RemainingDuration should be a string: {!r}".format(making.get("RemainingDuration")))
        row = image_items("--source", "custom").get(image)
        expect(row is not None, "image list --source custom should list the image being made")

        def done():
            d = cli.ok("image", "progress", image, *AT)
            return d if d.get("Status") == "Available" else None

        final = until(done, settle_s(), "the image to be Available", 0.3)
        equal(final.get("Progress"), 100, "Progress once Available")

    def update():
        image = st["img"]
        equal(cli.ok("image", "update", image, "--name", "cs-img-shared", "--description", "updated by the suite", "--region", REGION), {}, "data")
        shown = cli.ok("image", "show", image, "--source", "custom").get("image") or {}
        equal((shown.get("Name"), shown.get("Description")), ("cs-img-shared", "updated by the suite"), "Name, Description after image update")
        usage_error(cli.run("image", "update", image, "--region", REGION), "Specify at least one field")

    def share():
        image = st["img"]
        data = cli.ok("image", "share", image, Env.peer_account_number, "--region", REGION)
        equal(data.get("InvalidAccounts"), [], "InvalidAccounts")
        accounts = items(cli.ok("image", "shares", image, "--region", REGION), "image shares")
        equal([a.get("AccountId") for a in accounts], [str(Env.peer_account_number)], "image shares AccountIds")
        theirs = image_items("--source", "shared", who=peer)
        expect(image in theirs, "the peer's image list --source shared should list {}: {}".format(image, sorted(theirs)))
        equal(peer.ok("image", "show", image, "--source", "shared").get("image", {}).get("Name"), "cs-img-shared", "the peer's image show --source shared")
        expect(image not in image_items("--source", "shared"), "the owner's own shared list should not list its image")
        bogus = cli.ok("image", "share", image, "99999999", "--region", REGION)
        equal(bogus.get("InvalidAccounts"), [99999999], "InvalidAccounts for an unknown account number")

    def unshare():
        image = st["img"]
        cli.ok("image", "unshare", image, Env.peer_account_number, "--region", REGION, "-y")
        equal(items(cli.ok("image", "shares", image, "--region", REGION), "image shares"), [], "image shares after unshare")
        expect(image not in image_items("--source", "shared", who=peer), "the peer still sees the image after unshare")

    def publish():
        src = st["pub_src"]
        name = "cs-community-{}".format(RUN)
        # The version's name in the documented format v*.*: "v1" is refused.
        api_error(cli.run("image", "publish", src, "--version", "v1", "--name", name, *AT, "-y"), 230, "PublishCompShareImage")
        cli.ok("image", "publish", src, "--version", "v1.0", "--name", name, "--description", "published by the suite",
               "--version-description", "first", "--tag", "PyTorch", *AT, "-y")
        mine = [i for i in image_items("--source", "published").values() if i.get("Name") == name]
        expect(len(mine) == 1, "image list --source published should list the version: {}".format(short(mine)))
        equal((mine[0].get("VersionName"), mine[0].get("Status"), mine[0].get("Tags")), ("v1.0", "Reviewing", ["PyTorch"]), "VersionName, Status, Tags before the review")
        version = mine[0]["CompShareImageId"]
        expect(version not in image_items("--source", "community"), "image list --source community lists a version in review")
        operator_review(version)
        equal([i.get("Status") for i in image_items("--source", "published").values() if i.get("Name") == name], ["Available"], "Status after the review")
        st["version"] = version
        shown = cli.ok("image", "show", version, "--source", "published").get("image") or {}
        expect(shown.get("GroupId"), "the published version has no GroupId: {}".format(short(shown)))
        st["group"] = shown["GroupId"]
        expect(version in image_items("--source", "community"), "image list --source community should list the published version")
        expect(version in image_items("--source", "user", "--user", Env.account_number), "image list --source user --user <own number> should list it")
        expect(version not in image_items("--source", "user", "--user", Env.peer_account_number), "image list --source user --user <peer number> should not list it")
        usage_error(cli.run("image", "list", "--source", "user"), "--user is required")

    def favorite():
        version, group = st["version"], st["group"]
        equal(cli.ok("image", "show", version, "--source", "community")["image"].get("FavoritesCount"), 0, "FavoritesCount before")
        cli.ok("image", "favorite", group)
        equal(cli.ok("image", "show", version, "--source", "community")["image"].get("FavoritesCount"), 1, "FavoritesCount after favorite")
        cli.ok("image", "unfavorite", group)
        equal(cli.ok("image", "show", version, "--source", "community")["image"].get("FavoritesCount"), 0, "FavoritesCount after unfavorite")

    def delete_images():
        image, src, version = st["img"], st["pub_src"], st["version"]
        equal(cli.ok("image", "delete", image, "--region", REGION, "-y"), {}, "data")
        expect(image not in image_items("--source", "custom"), "the deleted image is still listed")
        api_error(cli.run("image", "progress", image, "--region", REGION), 226614, "GetCompShareImageCreateProgress", "ImageNotFound")
        # A published image is taken down (Visibility 0) before its source can be deleted.
        api_error(cli.run("image", "delete", src, "--region", REGION, "-y"), 226618, "TerminateCompShareCustomImage")
        cli.ok("image", "update", version, "--visibility", "0", "--region", REGION)
        expect(version not in image_items("--source", "community"), "the community list still lists the version taken down")
        cli.ok("image", "delete", src, "--region", REGION, "-y")
        expect(src not in image_items("--source", "custom"), "the deleted image is still listed")

    def delete():
        delete_wait(st["p"])

    s.check("instance create --image pytorch24 --wait makes a container instance", create)
    s.check("instance ports update: show --softwares lists the new ports", ports, needs=["p"])
    s.check("image create --wait from the container", image_create_wait, needs=["p"])
    s.check("image create --no-wait; image progress while it is being made, then 100", image_progress, needs=["p"])
    s.check("image update: the new name and description show", update, needs=["img"])
    s.check("image share/shares: the peer account sees it in --source shared", share, needs=["img"])
    s.check("image unshare: the peer no longer sees it", unshare, needs=["img"])
    s.check("image publish; list --source published / community / user --user", publish, needs=["pub_src"])
    s.check("image favorite/unfavorite of the published group counts", favorite, needs=["version", "group"])
    s.check("image delete (a published source after taking it down)", delete_images, needs=["img", "pub_src", "version"])
    s.check("instance delete --wait of the container", delete, needs=["p"])
