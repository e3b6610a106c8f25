// Only images of container instances are published: the image of a fresh Ubuntu VM and that of
// scenario.go's instance `a`, a VM reinstalled from an App image, are both ImageNotPublishable
// (226617).
package main

import (
	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

// refusePublish: a VM's image is ImageNotPublishable; if published after all, its versions are
// taken down so that the image can be deleted later.
func refusePublish(image string) error {
	name := "go-vm-" + image
	// VersionName is required and the SDK model lacks it: through InvokeAction.
	req := &publishRequest{CompShareImageId: ucloud.String(image), Price: ucloud.Float64(0), CommunityImageName: ucloud.String(name), VersionName: ucloud.String("v1.0")}
	onZone(req)
	req.SetRetryable(false)
	resp := &emptyResponse{}
	err := c.invoke("PublishCompShareImage", req, resp)
	if e := expectCode(resp, err, 226617, "ImageNotPublishable", ""); e != nil {
		for _, g := range selfCommunity("").ImageSetGroup {
			if g.ImageName == name {
				for _, v := range g.Data {
					_, _ = updateImage(c, v.CompShareImageId, func(r *ucompshare.UpdateCompShareImageRequest) { r.Visibility = ucloud.Int(0) })
				}
			}
		}
		return e
	}
	return nil
}

func freshVMImage() error {
	vm := createNamed(c, "go-vm-image", nil)
	defer terminateAndWait(c, vm)
	image := customImageOf(vm, "go-vm-image")
	img, err := customImageByID(image)
	must(err)
	must(equal(img.Container, "False", "Container of a VM's image"))
	must(refusePublish(image))
	tr, err := terminateImage(image)
	return c.ok(tr, err)
}

func reinstalledVMImage() error {
	// scenario.go's instance `a` is a virtual machine (made from Ubuntu) reinstalled from the PyTorch
	// (App) image; its custom image is still a virtual machine's.
	h := mustDescribe(c, s.state["a"])
	must(equal([]string{h.InstanceType, h.CompShareImageId}, []string{"UHost", pytorch}, "instance a: a virtual machine running the App image"))
	return refusePublish(s.state["image"])
}
