// Typed methods of the SDK whose actions the server does not implement: each must answer 161,
// Action [name] not found.
package main

import (
	"fmt"

	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

func notImplemented() error {
	type call struct {
		action string
		run    func() (response.Common, error)
	}
	calls := []call{
		{"AttachUS3", func() (response.Common, error) {
			r := c.NewAttachUS3Request()
			onZone(r)
			r.UHostId = ucloud.String(notFound)
			return c.AttachUS3(r)
		}},
		{"GetSoftwareURL", func() (response.Common, error) {
			r := c.NewGetSoftwareURLRequest()
			onZone(r)
			r.UHostId = ucloud.String(notFound)
			r.Software = ucloud.String("JupyterLab")
			return c.GetSoftwareURL(r)
		}},
		{"CopyCompShareCustomImage", func() (response.Common, error) {
			r := c.NewCopyCompShareCustomImageRequest()
			r.CompShareImageId = ucloud.String("compshareImage-nope")
			return c.CopyCompShareCustomImage(r)
		}},
		{"DescribeModelRepositoryTags", func() (response.Common, error) {
			r := c.NewDescribeModelRepositoryTagsRequest()
			onZone(r)
			return c.DescribeModelRepositoryTags(r)
		}},
		{"GetOpenClawModelList", func() (response.Common, error) {
			return c.GetOpenClawModelList(c.NewGetOpenClawModelListRequest())
		}},
	}
	for _, x := range calls {
		resp, err := x.run()
		if e := expectCode(resp, err, 161, "", "Action ["+x.action+"] not found"); e != nil {
			return fmt.Errorf("%s: %v", x.action, e)
		}
	}
	return nil
}
