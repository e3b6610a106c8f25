// Custom images of the container instance: made and waited for until Available, looked up by id,
// and UpdateCompShareImage (Description, Tags and Readme typed; Name through InvokeAction).
package main

import (
	"sort"
	"strings"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

func customImageOf(id, name string) string {
	req := c.NewCreateCompShareCustomImageRequest()
	onZone(req)
	req.UHostId = ucloud.String(id)
	req.Name = ucloud.String(name)
	req.Description = ucloud.String("made by the compatibility suite")
	req.Softwares = &ucompshare.CreateCompShareCustomImageParamSoftwares{
		Application: []string{"JupyterLab"}, CUDAVersion: ucloud.String("12.4"), Framework: ucloud.String("PyTorch"), FrameworkVersion: ucloud.String("2.4.0"),
	}
	var image string
	must(whenFree(func() error {
		resp, err := c.CreateCompShareCustomImage(req)
		image = resp.CompShareImageId
		return c.ok(resp, err)
	}))
	must(until(settle(), "image "+image+" to be Available", func() (bool, error) {
		img, err := customImageByID(image)
		return err == nil && img != nil && img.Status == "Available", err
	}))
	return image
}

func customImageByID(id string) (*ucompshare.CompShareImage, error) {
	req := c.NewDescribeCompShareCustomImagesRequest()
	onZone(req)
	req.CompShareImageId = ucloud.String(id)
	resp, err := c.DescribeCompShareCustomImages(req)
	if err := c.ok(resp, err); err != nil {
		return nil, err
	}
	if len(resp.ImageSet) == 0 {
		return nil, nil
	}
	return &resp.ImageSet[0], nil
}

func containerImage() error {
	image := customImageOf(s.state["container"], "go-container-image")
	img, err := customImageByID(image)
	must(err)
	must(equal([]string{img.Container, img.ImageType}, []string{"True", "Custom"}, "Container and ImageType of a container's image"))
	s.state["cimage"] = image
	return nil
}

func updateImage(client *sdk, id string, configure func(*ucompshare.UpdateCompShareImageRequest)) (*ucompshare.UpdateCompShareImageResponse, error) {
	req := client.NewUpdateCompShareImageRequest()
	onZone(req)
	req.CompShareImageId = ucloud.String(id)
	configure(req)
	return client.UpdateCompShareImage(req)
}

func updateImageCheck() error {
	image := s.state["cimage"]
	resp, err := updateImage(c, image, func(r *ucompshare.UpdateCompShareImageRequest) {
		r.Description = ucloud.String("updated by the suite")
		r.Tags = []string{"LLM", "PyTorch"}
		r.Readme = ucloud.String("# readme")
	})
	must(c.ok(resp, err))
	img, err := customImageByID(image)
	must(err)
	tags := append([]string(nil), img.Tags...)
	sort.Strings(tags)
	must(equal([]string{img.Description, strings.Join(tags, ","), img.Readme}, []string{"updated by the suite", "LLM,PyTorch", "# readme"}, "Description, Tags, Readme after UpdateCompShareImage"))
	// Name is the docs' and the CLI's (not in the SDK model): our struct.
	nameReq := &imageNameRequest{CompShareImageId: ucloud.String(image), Name: ucloud.String("go-container-image-2")}
	onZone(nameReq)
	must(c.call("UpdateCompShareImage", nameReq, &emptyResponse{}))
	img, err = customImageByID(image)
	must(err)
	must(equal(img.Name, "go-container-image-2", "Name after UpdateCompShareImage (InvokeAction)"))
	bad, err := updateImage(c, "compshareImage-nope", func(r *ucompshare.UpdateCompShareImageRequest) { r.Description = ucloud.String("x") })
	must(expectCode(bad, err, 226614, "ImageNotFound", ""))
	bad, err = updateImage(other, image, func(r *ucompshare.UpdateCompShareImageRequest) { r.Description = ucloud.String("x") })
	return expectCode(bad, err, 226614, "ImageNotFound", "")
}
