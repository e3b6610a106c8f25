// Error paths: the common errors (220, 230, 171, 172, 161) with UCloud's wording, the instance
// errors (InstanceNotFound, ImageNotFound, ResourceNotEnough with nothing made), the SDK's retries
// (a reboot is resent, a Create never), and Quantity, a purchase duration rather than a number of
// instances.
package main

import (
	"fmt"

	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

func commonErrors() error {
	// The typed request does not check required fields: the server answers 220.
	req := c.NewRebootCompShareInstanceRequest()
	req.Zone = ucloud.String(zone)
	r, err := c.RebootCompShareInstance(req)
	if err := expectCode(r, err, 220, "", "Missing params [UHostId]"); err != nil {
		return err
	}
	req = c.NewRebootCompShareInstanceRequest()
	req.Region = ucloud.String("cn-nowhere")
	req.Zone = ucloud.String(zone)
	req.UHostId = ucloud.String("uhost-x")
	r, err = c.RebootCompShareInstance(req)
	if err := expectCode(r, err, 230, "", "Params [Region] not available: cn-nowhere is not a region of this service (cn-wlcb, cn-sh2)"); err != nil {
		return err
	}
	bad := newSDK(env.publicKey, "not-the-private-key")
	d, err := bad.DescribeCompShareInstance(bad.NewDescribeCompShareInstanceRequest())
	if err := expectCode(d, err, 171, "", "Signature VerifyAC Error"); err != nil {
		return err
	}
	nobody := newSDK("no-such-public-key", "x")
	d, err = nobody.DescribeCompShareInstance(nobody.NewDescribeCompShareInstanceRequest())
	if err := expectCode(d, err, 172, "", "User Not Exists"); err != nil {
		return err
	}
	type nothingRequest struct{ request.CommonBase }
	type nothingResponse struct{ response.CommonBase }
	nr := &nothingResponse{}
	err = c.InvokeAction("DescribeCompShareNothing", &nothingRequest{}, nr)
	return expectCode(nr, err, 161, "", "")
}

func instanceErrors() error {
	r, err := reboot(c, "uhost-doesnotexist")
	if err := expectCode(r, err, 8039, "InstanceNotFound", ""); err != nil {
		return err
	}
	req := newCreate(c)
	req.CompShareImageId = ucloud.String("compshareImage-nope")
	cr, err := c.CreateCompShareInstance(req)
	if err := expectCode(cr, err, 226614, "ImageNotFound", ""); err != nil {
		return err
	}
	// A size the GPU type does not have is a parameter error, before any placement.
	req = newCreate(c)
	req.GpuType = ucloud.String("H20")
	req.GPU = ucloud.Int(64)
	cr, err = c.CreateCompShareInstance(req)
	if err := expectPrefix(cr, err, 230, "Params [GPU] not available"); err != nil {
		return err
	}
	// A size that exists, more times than there are hosts: ResourceNotEnough, and nothing made.
	before, err := countInstances(c)
	if err != nil {
		return err
	}
	many := &createManyResponse{}
	err = c.invoke("CreateCompShareInstance", tooMany(), many)
	if err := expectCode(many, err, 226604, "ResourceNotEnough", ""); err != nil {
		return err
	}
	after, err := countInstances(c)
	if err != nil {
		return err
	}
	return equal(after, before, "instances after a refused Create of 17")
}

// tooMany is H20 x8 (184 CPUs, 1600 GB) on 17 instances at once; the simulated fleet has 16 H20
// hosts per zone. MaxCount is the docs' and the CLI's (not in the SDK model): our own struct.
type createManyRequest struct {
	request.CommonBase
	CPU, Memory, GPU, MaxCount *int
	GpuType, MachineType       *string
	CompShareImageId           *string
}

type createManyResponse struct {
	response.CommonBase
	UHostIds []string
}

func tooMany() *createManyRequest {
	req := &createManyRequest{
		CPU: ucloud.Int(184), Memory: ucloud.Int(1600 * 1024), GPU: ucloud.Int(8), MaxCount: ucloud.Int(17),
		GpuType: ucloud.String("H20"), MachineType: ucloud.String("G"), CompShareImageId: ucloud.String(ubuntu),
	}
	req.Zone = ucloud.String(zone)
	req.SetRetryable(false)
	return req
}

func countInstances(client *sdk) (int, error) {
	req := client.NewDescribeCompShareInstanceRequest()
	req.Limit = ucloud.Int(100)
	resp, err := client.DescribeCompShareInstance(req)
	return resp.TotalCount, client.ok(resp, err)
}

func retries() error {
	// MaxRetries set: Go retries codes >= 2000 of retryable requests, with backoff, and never a
	// Create. A reboot refused with InstanceNotFound is sent again; a refused Create once.
	retrying := newSDK(env.publicKey, env.privateKey, func(cfg *ucloud.Config) { cfg.MaxRetries = 2 })
	r, err := reboot(retrying, "uhost-doesnotexist")
	if err := expectCode(r, err, 8039, "InstanceNotFound", ""); err != nil {
		return err
	}
	if err := equal(retrying.sent, 3, "requests sent for a reboot (1 + 2 retries)"); err != nil {
		return err
	}
	retrying.sent = 0
	req := newCreate(retrying)
	req.CompShareImageId = ucloud.String("compshareImage-nope")
	cr, err := retrying.CreateCompShareInstance(req)
	if err := expectCode(cr, err, 226614, "ImageNotFound", ""); err != nil {
		return err
	}
	return equal(retrying.sent, 1, "requests sent for a refused Create")
}

// quantity: Quantity is the purchase duration, not a number of instances: one Create makes one instance.
func quantity(q int) func() error {
	return func() error {
		req := newCreate(c)
		req.ChargeType = ucloud.String("Month")
		req.Quantity = ucloud.Int(q)
		resp, err := c.CreateCompShareInstance(req)
		defer terminateAll(resp.UHostIds)
		if err := c.ok(resp, err); err != nil {
			return err
		}
		return equal(len(resp.UHostIds), 1, fmt.Sprintf("instances made by a Create with ChargeType=Month, Quantity=%d", q))
	}
}

// quantityZero: the SDKs' comment says 0 buys to the end of the month; CompShare's API page says
// 0 is not supported. The page describes the real system: 230, and no instance made.
func quantityZero() error {
	req := newCreate(c)
	req.ChargeType = ucloud.String("Month")
	req.Quantity = ucloud.Int(0)
	resp, err := c.CreateCompShareInstance(req)
	defer terminateAll(resp.UHostIds)
	return expectPrefix(resp, err, 230, "Params [Quantity] not available")
}

// terminateAll cleans up what a Create under test made: each instance once it is Running.
func terminateAll(ids []string) {
	for _, id := range ids {
		if _, err := waitState(c, id, "Running"); err == nil {
			_, _ = terminateStopped(c, id)
		}
	}
}
