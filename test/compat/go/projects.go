// Projects: GetProjectList through UCloud's account service (uaccount.UAccountClient, typed) and
// through the ucompshare client's InvokeAction, as the CompShare CLI sends it; an unknown ProjectId
// is ProjectNotExists (292).
package main

import (
	"strings"

	"github.com/ucloud/ucloud-sdk-go/services/uaccount"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

func projects() error {
	resp, err := c.acct.GetProjectList(c.acct.NewGetProjectListRequest())
	must(c.ok(resp, err))
	must(equal(resp.ProjectCount, len(resp.ProjectSet), "ProjectCount"))
	var defaults []uaccount.ProjectListInfo
	for _, p := range resp.ProjectSet {
		if p.IsDefault {
			defaults = append(defaults, p)
		}
	}
	must(equal(len(defaults), 1, "projects with IsDefault true"))
	expect(strings.HasPrefix(defaults[0].ProjectId, "org-"), "ProjectId %q", defaults[0].ProjectId)
	s.state["project"] = defaults[0].ProjectId
	oreq := other.acct.NewGetProjectListRequest()
	oreq.IsFinance = ucloud.String("No")
	mine, err := other.acct.GetProjectList(oreq)
	must(other.ok(mine, err))
	var ids []string
	for _, p := range mine.ProjectSet {
		if p.IsDefault {
			ids = append(ids, p.ProjectId)
		}
	}
	must(equal(ids, []string{env.otherProjectID}, "the other account's default project"))
	// The CompShare CLI sends it through the ucompshare client, without parameters.
	raw := &uaccount.GetProjectListResponse{}
	must(c.call("GetProjectList", &emptyRequest{}, raw))
	return equal(raw.ProjectSet, resp.ProjectSet, "GetProjectList through the ucompshare client's InvokeAction")
}

func projectsErrors() error {
	wrong := newSDK(env.publicKey, env.privateKey, func(cfg *ucloud.Config) { cfg.ProjectId = "org-doesnotexist" })
	resp, err := wrong.acct.GetProjectList(wrong.acct.NewGetProjectListRequest())
	return expectCode(resp, err, 292, "ProjectNotExists", "")
}
