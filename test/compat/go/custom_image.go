// A custom image of instance `a`, through the typed client: created, its progress followed, a
// reboot meanwhile refused with InstanceImageMaking, then Available; another account cannot create
// an instance from it; TerminateCompShareCustomImage.
package main

import (
	"fmt"
	"sort"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

func customImage() error {
	a := s.state["a"]
	req := c.NewCreateCompShareCustomImageRequest()
	req.Zone = ucloud.String(zone)
	req.UHostId = ucloud.String(a)
	req.Name = ucloud.String("go-compat-image")
	req.Description = ucloud.String("made by the compatibility suite")
	req.Softwares = &ucompshare.CreateCompShareCustomImageParamSoftwares{
		Application:      []string{"JupyterLab", "ComfyUI"},
		CUDAVersion:      ucloud.String("12.4"),
		Framework:        ucloud.String("PyTorch"),
		FrameworkVersion: ucloud.String("2.4.0"),
	}
	resp, err := c.CreateCompShareCustomImage(req)
	if err := c.ok(resp, err); err != nil {
		return err
	}
	image := resp.CompShareImageId
	if image == "" {
		return fmt.Errorf("CompShareImageId is empty")
	}
	s.state["image"] = image
	progress := func() (*ucompshare.GetCompShareImageCreateProgressResponse, error) {
		pq := c.NewGetCompShareImageCreateProgressRequest()
		pq.Zone = ucloud.String(zone)
		pq.CompShareImageId = ucloud.String(image)
		pr, err := c.GetCompShareImageCreateProgress(pq)
		return pr, c.ok(pr, err)
	}
	p, err := progress()
	if err != nil {
		return err
	}
	if p.Process < 0 || p.Process > 100 {
		return fmt.Errorf("Process %v", p.Process)
	}
	code := busyCode(func() error { _, err := reboot(c, a); return err })
	if err := equal(code, 226611, "RetCode of a reboot while the image is made (InstanceImageMaking)"); err != nil {
		return err
	}
	list := func() (*ucompshare.DescribeCompShareCustomImagesResponse, error) {
		lq := c.NewDescribeCompShareCustomImagesRequest()
		lq.Zone = ucloud.String(zone)
		lq.CompShareImageId = ucloud.String(image)
		lr, err := c.DescribeCompShareCustomImages(lq)
		return lr, c.ok(lr, err)
	}
	l, err := list()
	if err != nil {
		return err
	}
	if l.TotalCount != 1 || len(l.ImageSet) != 1 {
		return fmt.Errorf("custom images: %+v", l)
	}
	img := l.ImageSet[0]
	apps := append([]string(nil), img.Softwares.Applications...)
	sort.Strings(apps)
	if err := first(
		equal(img.Name, "go-compat-image", "Name"),
		equal(apps, []string{"ComfyUI", "JupyterLab"}, "Softwares.Applications"),
		equal(img.Softwares.Framework, "PyTorch", "Softwares.Framework"),
	); err != nil {
		return err
	}
	if img.Status != "Making" && img.Status != "Available" {
		return fmt.Errorf("Status %s", img.Status)
	}
	err = until(settle(), "the image to be Available", func() (bool, error) {
		l, err := list()
		return err == nil && len(l.ImageSet) == 1 && l.ImageSet[0].Status == "Available", err
	})
	if err != nil {
		return err
	}
	p, err = progress()
	if err != nil {
		return err
	}
	if err := equal(p.Process, 100.0, "Process when Available"); err != nil {
		return err
	}
	r, err := reboot(c, a)
	if err := c.ok(r, err); err != nil {
		return err
	}
	_, err = waitState(c, a, "Running")
	return err
}

func customImageIsolation() error {
	req := newCreate(other)
	req.CompShareImageId = ucloud.String(s.state["image"])
	resp, err := other.CreateCompShareInstance(req)
	return expectCode(resp, err, 226614, "ImageNotFound", "")
}

func terminateCustomImage() error {
	image := s.state["image"]
	req := c.NewTerminateCompShareCustomImageRequest()
	req.Zone = ucloud.String(zone)
	req.CompShareImageId = ucloud.String(image)
	resp, err := c.TerminateCompShareCustomImage(req)
	if err := c.ok(resp, err); err != nil {
		return err
	}
	lq := c.NewDescribeCompShareCustomImagesRequest()
	lq.Zone = ucloud.String(zone)
	lq.CompShareImageId = ucloud.String(image)
	lr, err := c.DescribeCompShareCustomImages(lq)
	if err := c.ok(lr, err); err != nil {
		return err
	}
	return equal(lr.TotalCount, 0, "TotalCount after TerminateCompShareCustomImage")
}
