// The community: the container's image published (two versions of one group),
// DescribeSelfCommunityImages, DescribeCommunityImages and DescribeUserCommunityImages with their
// filters, favorites of the group, and a published image taken down (Visibility 0) before it can be
// deleted.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

var communityName = fmt.Sprintf("go-compat-community-%d", os.Getpid())

func selfCommunity(group string) *ucompshare.DescribeSelfCommunityImagesResponse {
	req := c.NewDescribeSelfCommunityImagesRequest()
	onZone(req)
	if group != "" {
		req.GroupId = ucloud.String(group)
	}
	resp, err := c.DescribeSelfCommunityImages(req)
	must(c.ok(resp, err))
	return resp
}

func publish() error {
	image := s.state["cimage"]
	softwares := &ucompshare.PublishCompShareImageParamSoftwares{
		Applications: []string{"JupyterLab"}, CUDAVersion: ucloud.String("12.4"), Framework: ucloud.String("PyTorch"), FrameworkVersion: ucloud.String("2.4.0"),
	}
	// VersionName is required (the docs) and the SDK model lacks it: the typed method gets 220.
	typed := c.NewPublishCompShareImageRequest()
	onZone(typed)
	typed.CompShareImageId = ucloud.String(image)
	typed.CommunityImageName = ucloud.String(communityName)
	typed.Price = ucloud.Float64(0)
	typed.SetRetryable(false)
	tr, err := c.PublishCompShareImage(typed)
	must(expectCode(tr, err, 220, "", "Missing params [VersionName]"))
	req := &publishRequest{
		CompShareImageId:   ucloud.String(image),
		CommunityImageName: ucloud.String(communityName),
		VersionName:        ucloud.String("v1.0"),
		Price:              ucloud.Float64(0),
		Tags:               []string{"LLM"},
		Description:        ucloud.String("published by the compatibility suite"),
		Readme:             ucloud.String("# hello"),
		AutoStart:          ucloud.String("true"), // a string in the SDK model
		Softwares:          softwares,
	}
	onZone(req)
	req.SetRetryable(false)
	must(c.call("PublishCompShareImage", req, &emptyResponse{}))
	// In review until the operator approves it; nobody else lists it meanwhile.
	for _, g := range selfCommunity("").ImageSetGroup {
		if g.ImageName == communityName {
			must(equal([]string{g.Status, g.Data[0].Status}, []string{"UnAvailable", "Reviewing"}, "the group and its version before the review"))
			must(approve(g.Data[0].CompShareImageId))
		}
	}
	mine := selfCommunity("")
	var groups []ucompshare.CompshareImageGroup
	for _, g := range mine.ImageSetGroup {
		if g.ImageName == communityName {
			groups = append(groups, g)
		}
	}
	must(equal(len(groups), 1, "groups named "+communityName))
	g := groups[0]
	expect(strings.HasPrefix(g.GroupId, "group-") && g.Status == "Available" && !g.IsFavorite, "the group %+v", g)
	must(equal(len(g.Data), 1, "versions of the group"))
	v := g.Data[0]
	must(equal(
		[]interface{}{v.VersionName, v.Status, v.ImageType, v.Visibility, v.Price, v.AutoStart, v.Container, v.Tags, v.GroupId, v.Softwares.Applications},
		[]interface{}{"v1.0", "Available", "Community", 1, 0.0, true, "True", []string{"LLM"}, g.GroupId, []string{"JupyterLab"}},
		"the published version"))
	var raw communityListing
	must(json.Unmarshal(c.body, &raw))
	must(equal(raw.CompshareImageGroup, raw.ImageSetGroup, "CompshareImageGroup (docs) vs ImageSetGroup (SDK)"))
	s.state["group"] = g.GroupId
	s.state["version"] = v.CompShareImageId
	one := selfCommunity(g.GroupId)
	expect(len(one.ImageSetGroup) == 1 && one.ImageSetGroup[0].GroupId == g.GroupId, "DescribeSelfCommunityImages by GroupId: %+v", one.ImageSetGroup)
	// A second version of the group: GroupId and VersionName are the docs' (not in the SDK model).
	second := &publishVersionRequest{CompShareImageId: ucloud.String(image), GroupId: ucloud.String(g.GroupId), VersionName: ucloud.String("v2.0"), VersionDesc: ucloud.String("second"), Price: ucloud.Float64(0)}
	onZone(second)
	second.SetRetryable(false)
	must(c.call("PublishCompShareImage", second, &emptyResponse{}))
	var versions, ids []string
	for _, x := range selfCommunity(g.GroupId).ImageSetGroup[0].Data {
		versions = append(versions, x.VersionName)
		ids = append(ids, x.CompShareImageId)
		if x.VersionName == "v2.0" {
			must(equal(x.Status, "Reviewing", "the second version before the review"))
			must(approve(x.CompShareImageId))
		}
	}
	sort.Strings(versions)
	sort.Strings(ids)
	must(equal(versions, []string{"v1.0", "v2.0"}, "versions after the second publish"))
	s.state["versions"] = strings.Join(ids, ",")
	return nil
}

func publishErrors() error {
	image := s.state["cimage"]
	try := func(client *sdk, id string) (*emptyResponse, error) {
		req := &publishVersionRequest{CompShareImageId: ucloud.String(id), VersionName: ucloud.String("v9.0"), Price: ucloud.Float64(0)}
		onZone(req)
		req.SetRetryable(false)
		resp := &emptyResponse{}
		return resp, client.invoke("PublishCompShareImage", req, resp)
	}
	r, err := try(c, "compshareImage-nope")
	must(expectCode(r, err, 226614, "ImageNotFound", ""))
	r, err = try(other, image)
	must(expectCode(r, err, 226614, "ImageNotFound", ""))
	malformed := &publishVersionRequest{CompShareImageId: ucloud.String(image), VersionName: ucloud.String("1.0"), Price: ucloud.Float64(0)}
	onZone(malformed)
	bad := &emptyResponse{}
	must(expectPrefix(bad, c.invoke("PublishCompShareImage", malformed, bad), 230, "Params [VersionName] not available"))
	again := &publishVersionRequest{CompShareImageId: ucloud.String(image), GroupId: ucloud.String(s.state["group"]), VersionName: ucloud.String("v2.0"), Price: ucloud.Float64(0)}
	onZone(again)
	resp := &emptyResponse{}
	return expectPrefix(resp, c.invoke("PublishCompShareImage", again, resp), 230, "Params [VersionName] not available")
}

func communityImages(client *sdk, configure func(*ucompshare.DescribeCommunityImagesRequest)) *ucompshare.DescribeCommunityImagesResponse {
	req := client.NewDescribeCommunityImagesRequest()
	onZone(req)
	configure(req)
	resp, err := client.DescribeCommunityImages(req)
	must(client.ok(resp, err))
	return resp
}

func byGroup(client *sdk, group string) *communityListing {
	resp := &communityListing{}
	must(client.call("DescribeCommunityImages", &groupRequest{GroupId: ucloud.String(group)}, resp))
	return resp
}

func community() error {
	group, version := s.state["group"], s.state["version"]
	byName := communityImages(c, func(r *ucompshare.DescribeCommunityImagesRequest) { r.Name = ucloud.String(communityName) })
	must(equal(byName.TotalCount, 1, "TotalCount by Name"))
	// Name matches the versions' names; the second version kept its image's name.
	expect(len(byName.ImageSet) == 1 && byName.ImageSet[0].CompShareImageId == version, "ImageSet by Name: %+v", byName.ImageSet)
	// GroupId is the docs' and the CLI's filter (not in the SDK model): every version of the group.
	listed := byGroup(c, group)
	var ids []string
	for _, i := range listed.ImageSet {
		ids = append(ids, i.CompShareImageId)
	}
	sort.Strings(ids)
	must(equal(strings.Join(ids, ","), s.state["versions"], "ImageSet by GroupId (InvokeAction)"))
	must(equal(listed.ImageSetGroup, listed.CompshareImageGroup, "ImageSetGroup vs CompshareImageGroup"))
	byID := communityImages(c, func(r *ucompshare.DescribeCommunityImagesRequest) { r.CompShareImageId = ucloud.String(version) })
	expect(len(byID.ImageSet) == 1 && byID.ImageSet[0].CompShareImageId == version, "by CompShareImageId: %+v", byID.ImageSet)
	official := communityImages(c, func(r *ucompshare.DescribeCommunityImagesRequest) {
		r.CompShareImageId = ucloud.String("compshareImage-community-sdwebui")
	})
	must(equal(len(official.ImageSet), 1, "the official image"))
	o := official.ImageSet[0]
	must(equal(
		[]interface{}{o.GroupId, o.IsOfficial, o.AuthInfo, o.Price, o.Container, o.AutoStart, o.Status},
		[]interface{}{"group-official-sdwebui", true, 1, 0.0, "True", true, "Available"},
		"the official community image"))
	tagged := communityImages(c, func(r *ucompshare.DescribeCommunityImagesRequest) {
		r.Tag = ucloud.String("LLM")
		r.Limit = ucloud.String("100") // a string in the SDK model
	})
	groups := map[string]bool{}
	for _, i := range tagged.ImageSet {
		groups[i.GroupId] = true
	}
	expect(groups[group] && !groups["group-official-sdwebui"], "Tag=LLM: %v", groups)
	page := communityImages(c, func(r *ucompshare.DescribeCommunityImagesRequest) {
		r.Limit = ucloud.String("1")
		r.Offset = ucloud.Int(0)
		r.SortCondition = &ucompshare.DescribeCommunityImagesParamSortCondition{Field: ucloud.String("PubTime"), ASC: ucloud.String("false")}
	})
	pageGroups := map[string]bool{}
	for _, i := range page.ImageSet {
		pageGroups[i.GroupId] = true
	}
	expect(page.TotalCount >= 2 && len(pageGroups) == 1, "Limit=1 counts groups: TotalCount %d, groups %v", page.TotalCount, pageGroups)
	user := func(client *sdk) *ucompshare.DescribeUserCommunityImagesResponse {
		req := client.NewDescribeUserCommunityImagesRequest()
		onZone(req)
		req.Name = ucloud.String(communityName)
		req.IsFree = ucloud.Bool(true)
		resp, err := client.DescribeUserCommunityImages(req)
		must(client.ok(resp, err))
		return resp
	}
	mine := user(c)
	expect(len(mine.ImageSetGroup) == 1 && mine.ImageSetGroup[0].GroupId == group, "DescribeUserCommunityImages of the caller: %+v", mine.ImageSetGroup)
	must(equal(user(other).TotalCount, 0, "the other account has published nothing"))
	seen := communityImages(other, func(r *ucompshare.DescribeCommunityImagesRequest) { r.Name = ucloud.String(communityName) })
	return equal(seen.TotalCount, 1, "another account sees the public version")
}

func favorite(client *sdk, action, group string) error {
	resp := &emptyResponse{}
	return client.call(action, &groupRequest{GroupId: ucloud.String(group)}, resp)
}

func favorites() error {
	group := s.state["group"]
	mine := func() ucompshare.CompshareImageGroup { return selfCommunity(group).ImageSetGroup[0] }
	must(favorite(c, "CreateCompShareImageFavorite", group))
	g := mine()
	must(equal([]interface{}{g.IsFavorite, g.FavoritesCount}, []interface{}{true, 1}, "IsFavorite and FavoritesCount after CreateCompShareImageFavorite"))
	must(favorite(other, "CreateCompShareImageFavorite", group))
	must(equal(mine().FavoritesCount, 2, "FavoritesCount after the other account's favorite"))
	must(favorite(c, "CreateCompShareImageFavorite", group))
	must(equal(mine().FavoritesCount, 2, "a second favorite of the same account counts once"))
	must(favorite(c, "DeleteCompShareImageFavorite", group))
	g = mine()
	must(equal([]interface{}{g.IsFavorite, g.FavoritesCount}, []interface{}{false, 1}, "after DeleteCompShareImageFavorite"))
	must(favorite(other, "DeleteCompShareImageFavorite", group))
	must(favorite(c, "DeleteCompShareImageFavorite", group)) // not a favorite: still succeeds
	must(equal(mine().FavoritesCount, 0, "FavoritesCount at the end"))
	// The public listing shows it too (the official group is left alone: other suites count its favorites).
	must(favorite(c, "CreateCompShareImageFavorite", group))
	listed := byGroup(c, group).CompshareImageGroup
	expect(len(listed) == 1 && listed[0].IsFavorite && listed[0].FavoritesCount == 1, "DescribeCommunityImages of the favorite group: %+v", listed)
	seen := byGroup(other, group).CompshareImageGroup
	expect(len(seen) == 1 && !seen[0].IsFavorite, "IsFavorite is the caller's: %+v", seen)
	must(favorite(c, "DeleteCompShareImageFavorite", group))
	listed = byGroup(c, group).CompshareImageGroup
	expect(len(listed) == 1 && !listed[0].IsFavorite, "DescribeCommunityImages after the delete: %+v", listed)
	resp := &emptyResponse{}
	must(expectCode(resp, c.invoke("CreateCompShareImageFavorite", &groupRequest{GroupId: ucloud.String("group-doesnotexist")}, resp), 226614, "ImageNotFound", ""))
	resp = &emptyResponse{}
	return expectCode(resp, c.invoke("CreateCompShareImageFavorite", &groupRequest{}, resp), 220, "", "Missing params [GroupId]")
}

func terminateImage(id string) (*ucompshare.TerminateCompShareCustomImageResponse, error) {
	req := c.NewTerminateCompShareCustomImageRequest()
	onZone(req)
	req.CompShareImageId = ucloud.String(id)
	return c.TerminateCompShareCustomImage(req)
}

func takeDown() error {
	image := s.state["cimage"]
	tr, err := terminateImage(image)
	must(expectCode(tr, err, 226618, "ImagePublished", ""))
	for _, v := range strings.Split(s.state["versions"], ",") {
		r, err := updateImage(c, v, func(r *ucompshare.UpdateCompShareImageRequest) { r.Visibility = ucloud.Int(0) })
		must(c.ok(r, err))
	}
	must(equal(byGroup(c, s.state["group"]).TotalCount, 0, "public versions after Visibility 0"))
	must(equal(communityImages(c, func(r *ucompshare.DescribeCommunityImagesRequest) { r.Name = ucloud.String(communityName) }).TotalCount, 0, "by Name after Visibility 0"))
	var statuses []string
	for _, x := range selfCommunity(s.state["group"]).ImageSetGroup[0].Data {
		statuses = append(statuses, x.Status)
	}
	must(equal(statuses, []string{"Offline", "Offline"}, "the versions in the owner's list"))
	resp := &emptyResponse{}
	must(expectCode(resp, c.invoke("CreateCompShareImageFavorite", &groupRequest{GroupId: ucloud.String(s.state["group"])}, resp), 226614, "ImageNotFound", ""))
	tr, err = terminateImage(image)
	must(c.ok(tr, err))
	img, err := customImageByID(image)
	must(err)
	expect(img == nil, "the custom image is not deleted")
	return nil
}
