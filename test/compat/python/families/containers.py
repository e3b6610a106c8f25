"""A container instance: ports, then a custom image of it, shared and published. The instance (made
from an App image) and its HTTP and TCP ports (refused on a virtual machine); its custom image,
UpdateCompShareImage, sharing with the second account, publishing to the community, favorites,
and the published image taken down before it is deleted; then the instance is terminated.
"""
import os

from harness import (
    PYTORCH,
    REGION,
    ZONE,
    CheckFailed,
    describe_one,
    equal,
    expect,
    expect_error,
    operator_review,
    settle_s,
    until,
    when_free,
)

from .common import NOT_FOUND, OTHER_NAME, create_on, inst, is_int, on, terminate_on


def run(s, sdk, other):
    create = create_on(sdk)
    terminate = terminate_on(sdk)

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
        fields = {
            "Zone": ZONE,
            "CompShareImageId": image,
            "CommunityImageName": community_name,
            "Price": 0,
            "Tags": ["LLM"],
            "Description": "published by the compatibility suite",
            "Readme": "# hello",
            "AutoStart": "True",  # a Str in the SDK model
            "Softwares": {"Applications": ["JupyterLab"], "CUDAVersion": "12.4", "Framework": "PyTorch", "FrameworkVersion": "2.4.0"},
        }
        # VersionName is required (the docs), and the SDK model lacks it: its typed method cannot
        # publish. Through invoke, with VersionName.
        expect_error(lambda: sdk.typed("publish_comp_share_image", fields), 220, message="Missing params [VersionName]")
        sdk.invoke("PublishCompShareImage", dict(fields, Region=REGION, VersionName="v1.0"))
        mine = sdk.typed("describe_self_community_images", {"Zone": ZONE})
        groups = [g for g in mine["ImageSetGroup"] if g["ImageName"] == community_name]
        equal(len(groups), 1, "groups named {}".format(community_name))
        g = groups[0]
        equal((g["Status"], g["Data"][0]["Status"]), ("UnAvailable", "Reviewing"), "the group and its version before the review")
        equal(other.typed("describe_community_images", {"Zone": ZONE, "Name": community_name})["TotalCount"], 0, "a version in review is not listed")
        operator_review(g["Data"][0]["CompShareImageId"])
        mine = sdk.typed("describe_self_community_images", {"Zone": ZONE})
        g = [g for g in mine["ImageSetGroup"] if g["ImageName"] == community_name][0]
        expect(g["GroupId"].startswith("group-") and g["Status"] == "Available" and g["IsFavorite"] is False, "the group: {}".format({k: g[k] for k in ("GroupId", "Status", "IsFavorite")}))
        equal(len(g["Data"]), 1, "versions of the group")
        v = g["Data"][0]
        want = {"VersionName": "v1.0", "Status": "Available", "ImageType": "Community", "Visibility": 1, "Price": 0, "AutoStart": True, "Container": "True", "Tags": ["LLM"], "GroupId": g["GroupId"], "FailedReason": ""}
        equal({k: v[k] for k in want}, want, "the published version, approved")
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
        equal(sorted((x["VersionName"], x["Status"]) for x in versions), [("v1.0", "Available"), ("v2.0", "Reviewing")], "versions after the second publish")
        operator_review([x for x in versions if x["VersionName"] == "v2.0"][0]["CompShareImageId"])
        s.state["versions"] = [x["CompShareImageId"] for x in versions]

    def publish_errors():
        image = s.state["cimage"]
        expect_error(lambda: sdk.invoke("PublishCompShareImage", dict(on, CompShareImageId="compshareImage-nope", VersionName="v9.0", Price=0)), 226614, "ImageNotFound")
        expect_error(lambda: other.invoke("PublishCompShareImage", dict(on, CompShareImageId=image, VersionName="v9.0", Price=0)), 226614, "ImageNotFound")
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
    s.check("PublishCompShareImage (typed: 220 without VersionName; invoke), in review until approved; DescribeSelfCommunityImages", publish, needs=["cimage"])
    s.check("PublishCompShareImage errors: unknown image, another account's, a version that exists", publish_errors, needs=["cimage", "group"])
    s.check("DescribeCommunityImages and DescribeUserCommunityImages: filters, Tag, Limit, SortCondition", community, needs=["group", "versions"])
    s.check("Create/DeleteCompShareImageFavorite (invoke): IsFavorite and FavoritesCount", favorites, needs=["group"])
    s.check("A published image: Terminate is ImagePublished (226618); Visibility 0 takes it down; then deleted", take_down, needs=["cimage", "versions"])
    s.check("Terminate the container instance", container_cleanup, needs=["container"])
