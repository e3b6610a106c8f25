// The scenario through the typed ucompshare client: the platform images, then instance `a` from
// Create to Terminate (Describe, Reboot, Stop, Reinstall, Resize, Start, password, name), each step
// checking the states it passes through and the errors of the calls its state refuses.
package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

func images() error {
	req := c.NewDescribeCompShareImagesRequest()
	all, err := c.DescribeCompShareImages(req)
	if err := c.ok(all, err); err != nil {
		return err
	}
	ids := map[string]bool{}
	for _, i := range all.ImageSet {
		ids[i.CompShareImageId] = true
		if i.Status != "Available" {
			return fmt.Errorf("platform image %s is %s", i.CompShareImageId, i.Status)
		}
	}
	for _, want := range []string{ubuntu, pytorch, comfyui} {
		if !ids[want] {
			return fmt.Errorf("%s missing from ImageSet", want)
		}
	}
	req = c.NewDescribeCompShareImagesRequest()
	req.ImageType = ucloud.String("App")
	app, err := c.DescribeCompShareImages(req)
	if err := c.ok(app, err); err != nil {
		return err
	}
	if len(app.ImageSet) == 0 {
		return fmt.Errorf("no App image")
	}
	for _, i := range app.ImageSet {
		if i.ImageType != "App" {
			return fmt.Errorf("ImageType=App returned %s (%s)", i.CompShareImageId, i.ImageType)
		}
	}
	req = c.NewDescribeCompShareImagesRequest()
	req.CompShareImageId = ucloud.String(pytorch)
	one, err := c.DescribeCompShareImages(req)
	if err := c.ok(one, err); err != nil {
		return err
	}
	if len(one.ImageSet) != 1 || one.ImageSet[0].CompShareImageId != pytorch {
		return fmt.Errorf("filter by CompShareImageId: %+v", one.ImageSet)
	}
	req = c.NewDescribeCompShareImagesRequest()
	req.Limit = ucloud.Int(1)
	req.Offset = ucloud.Int(1)
	page, err := c.DescribeCompShareImages(req)
	if err := c.ok(page, err); err != nil {
		return err
	}
	return first(equal(len(page.ImageSet), 1, "Limit=1"), equal(page.TotalCount, all.TotalCount, "TotalCount with Limit"))
}

func create() error {
	req := newCreate(c)
	req.ChargeType = ucloud.String("Postpay")
	req.Disks = []ucompshare.CreateCompShareInstanceParamDisks{
		{IsBoot: ucloud.Bool(true), Size: ucloud.Int(60), Type: ucloud.String("CLOUD_SSD")},
		{IsBoot: ucloud.Bool(false), Size: ucloud.Int(100), Type: ucloud.String("CLOUD_SSD")},
	}
	req.Name = ucloud.String("go-compat-a")
	req.Password = ucloud.String(password1)
	req.LoginMode = ucloud.String("Password")
	req.EnableUS3 = ucloud.Bool(false)
	req.MinimalCpuPlatform = ucloud.String("Auto")
	resp, err := c.CreateCompShareInstance(req)
	if err := c.ok(resp, err); err != nil {
		return err
	}
	if len(resp.UHostIds) != 1 || !strings.HasPrefix(resp.UHostIds[0], "uhost-") {
		return fmt.Errorf("UHostIds: %v", resp.UHostIds)
	}
	s.state["a"] = resp.UHostIds[0]
	h, err := describeOne(c, resp.UHostIds[0])
	if err != nil {
		return err
	}
	if h == nil || (h.State != "Initializing" && h.State != "Running") {
		return fmt.Errorf("first state: %+v", h)
	}
	return nil
}

func describe() error {
	a := s.state["a"]
	h, err := waitState(c, a, "Running")
	if err != nil {
		return err
	}
	var boots []string
	for _, d := range h.DiskSet {
		boots = append(boots, d.IsBoot)
		if d.IsBoot == "True" {
			s.state["bootDisk"] = d.DiskId
			s.state["bootDiskSize"] = fmt.Sprint(d.Size)
		}
	}
	sort.Strings(boots)
	if err := first(
		equal(h.Name, "go-compat-a", "Name"),
		equal([]int{h.CPU, h.Memory, h.GPU}, []int{16, 65536, 1}, "CPU, Memory, GPU"),
		equal([]string{h.GpuType, h.MachineType, h.Zone, h.ChargeType}, []string{"4090", "G", zone, "Postpay"}, "GpuType, MachineType, Zone, ChargeType"),
		equal(h.CompShareImageId, ubuntu, "CompShareImageId"),
		equal(h.Password, password1, "Password"),
		equal(h.TotalDiskSpace, 160, "TotalDiskSpace"),
		equal(boots, []string{"False", "True"}, "DiskSet IsBoot"),
	); err != nil {
		return err
	}
	req := c.NewDescribeCompShareInstanceRequest()
	req.UHostIds = []string{a}
	req.Limit = ucloud.Int(1)
	req.Offset = ucloud.Int(0)
	req.WithoutGpu = ucloud.Bool(false)
	page, err := c.DescribeCompShareInstance(req)
	if err := c.ok(page, err); err != nil {
		return err
	}
	return equal(page.TotalCount, 1, "TotalCount for one id")
}

func rebootTwice() error {
	a := s.state["a"]
	started := time.Now()
	resp, err := reboot(c, a)
	if err := c.ok(resp, err); err != nil {
		return err
	}
	if err := equal(resp.UHostId, a, "UHostId"); err != nil {
		return err
	}
	h, err := describeOne(c, a)
	if err != nil {
		return err
	}
	if time.Since(started) < time.Duration(env.bootMs/2)*time.Millisecond && h.State != "Rebooting" {
		return fmt.Errorf("state right after the reboot: %s", h.State)
	}
	second, err := reboot(c, a)
	if err := expectCode(second, err, 226610, "InstanceOperationInProgress", ""); err != nil {
		return err
	}
	if !strings.Contains(second.Message, a) || !strings.Contains(second.Message, "RebootCompShareInstance") {
		return fmt.Errorf("the message should name the instance and the holder: %q", second.Message)
	}
	// Our extension, through the SDK's generic client: the operation record carries the request id.
	greq := c.NewGenericRequest()
	_ = greq.SetPayload(map[string]interface{}{"Action": "DescribeCompShareInstanceOperations", "Zone": zone, "UHostId": a, "Limit": 5})
	gresp, err := c.GenericInvoke(greq)
	if err != nil {
		return describeErr(err)
	}
	var ops struct {
		OperationSet []struct{ Action, RequestId, Status string }
	}
	if err := gresp.Unmarshal(&ops); err != nil {
		return err
	}
	found := false
	for _, op := range ops.OperationSet {
		found = found || (op.Action == "RebootCompShareInstance" && op.RequestId == resp.GetRequestUUID())
	}
	if !found {
		return fmt.Errorf("no RebootCompShareInstance operation with RequestId %s in %+v", resp.GetRequestUUID(), ops.OperationSet)
	}
	_, err = waitState(c, a, "Running")
	return err
}

func needsStopped() error {
	a := s.state["a"]
	rq := c.NewReinstallCompShareInstanceRequest()
	rq.Zone = ucloud.String(zone)
	rq.UHostId = ucloud.String(a)
	rq.CompShareImageId = ucloud.String(pytorch)
	rr, err := c.ReinstallCompShareInstance(rq)
	if err := expectCode(rr, err, 8010, "InstanceMustBeStopped", ""); err != nil {
		return err
	}
	zq := c.NewResizeCompShareInstanceRequest()
	zq.Zone = ucloud.String(zone)
	zq.UHostId = ucloud.String(a)
	// A compute resize names all three of Cpu, Memory and Gpu (the docs' rule; else 220).
	zq.Cpu = ucloud.Int(32)
	zq.Memory = ucloud.Int(131072)
	zq.Gpu = ucloud.Int(2)
	zr, err := c.ResizeCompShareInstance(zq)
	if err := expectCode(zr, err, 8010, "InstanceMustBeStopped", ""); err != nil {
		return err
	}
	sq := c.NewStartCompShareInstanceRequest()
	sq.Zone = ucloud.String(zone)
	sq.UHostId = ucloud.String(a)
	sr, err := c.StartCompShareInstance(sq)
	return expectCode(sr, err, 8905, "InstanceStateInvalid", "")
}

func stopIt() error {
	a := s.state["a"]
	resp, err := stop(c, a)
	if err := c.ok(resp, err); err != nil {
		return err
	}
	if _, err := waitState(c, a, "Stopped"); err != nil {
		return err
	}
	r, err := reboot(c, a)
	if err := expectCode(r, err, 8905, "InstanceStateInvalid", ""); err != nil {
		return err
	}
	st, err := stop(c, a)
	return expectCode(st, err, 8905, "InstanceStateInvalid", "")
}

func reinstall() error {
	a := s.state["a"]
	req := c.NewReinstallCompShareInstanceRequest()
	req.Zone = ucloud.String(zone)
	req.UHostId = ucloud.String(a)
	req.CompShareImageId = ucloud.String(pytorch)
	req.Password = ucloud.String(password2)
	resp, err := c.ReinstallCompShareInstance(req)
	if err := c.ok(resp, err); err != nil {
		return err
	}
	code := busyCode(func() error { _, err := reboot(c, a); return err })
	if err := equal(code, 226613, "RetCode of a reboot during the reinstall (InstanceBackgroundTask)"); err != nil {
		return err
	}
	r, err := reboot(c, a)
	if err := expectCode(r, err, 226613, "InstanceBackgroundTask", ""); err != nil {
		return err
	}
	h, err := waitState(c, a, "Running")
	if err != nil {
		return err
	}
	return first(equal(h.CompShareImageId, pytorch, "CompShareImageId after reinstall"), equal(h.Password, password2, "Password after reinstall"))
}

func resize() error {
	a := s.state["a"]
	if err := stopAndWait(c, a); err != nil {
		return err
	}
	var size int
	fmt.Sscan(s.state["bootDiskSize"], &size)
	// The docs: a compute resize and a disk resize are separate requests (230 for both at once).
	req := c.NewResizeCompShareInstanceRequest()
	req.Zone = ucloud.String(zone)
	req.UHostId = ucloud.String(a)
	req.Cpu = ucloud.Int(32)
	req.Memory = ucloud.Int(131072)
	req.Gpu = ucloud.Int(2)
	req.DiskId = ucloud.String(s.state["bootDisk"])
	req.DiskSpace = ucloud.String(fmt.Sprint(size + 20)) // a string in the SDK's model
	both, err := c.ResizeCompShareInstance(req)
	if err := expectPrefix(both, err, 230, "Params [DiskSpace] not available"); err != nil {
		return err
	}
	req.DiskId, req.DiskSpace = nil, nil
	resp, err := c.ResizeCompShareInstance(req)
	if err := c.ok(resp, err); err != nil {
		return err
	}
	h, err := describeOne(c, a)
	if err != nil {
		return err
	}
	if h.State != "Resizing" && h.State != "Stopped" {
		return fmt.Errorf("state after resize: %s", h.State)
	}
	err = until(settle(), "the new size", func() (bool, error) {
		h, err = describeOne(c, a)
		return err == nil && h.State == "Stopped" && h.CPU == 32, err
	})
	if err != nil {
		return err
	}
	dq := c.NewResizeCompShareInstanceRequest()
	dq.Zone = ucloud.String(zone)
	dq.UHostId = ucloud.String(a)
	dq.DiskId = ucloud.String(s.state["bootDisk"])
	dq.DiskSpace = ucloud.String(fmt.Sprint(size + 20))
	if err := whenFree(func() error { r, err := c.ResizeCompShareInstance(dq); return c.ok(r, err) }); err != nil {
		return err
	}
	sizes := map[string]int{}
	err = until(settle(), "the resized disk", func() (bool, error) {
		h, err = describeOne(c, a)
		if err != nil {
			return false, err
		}
		for _, d := range h.DiskSet {
			sizes[d.DiskId] = d.Size
		}
		return h.State == "Stopped" && sizes[s.state["bootDisk"]] == size+20, nil
	})
	if err != nil {
		return err
	}
	return first(
		equal([]int{h.CPU, h.Memory, h.GPU}, []int{32, 131072, 2}, "CPU, Memory, GPU after resize"),
		equal(sizes[s.state["bootDisk"]], size+20, "size of the resized disk"),
	)
}

func start() error {
	a := s.state["a"]
	req := c.NewStartCompShareInstanceRequest()
	req.Zone = ucloud.String(zone)
	req.UHostId = ucloud.String(a)
	resp, err := c.StartCompShareInstance(req)
	if err := c.ok(resp, err); err != nil {
		return err
	}
	if err := equal(resp.UHostId, a, "UHostId"); err != nil {
		return err
	}
	_, err = waitState(c, a, "Running")
	return err
}

func resetPassword() error {
	a := s.state["a"]
	req := c.NewResetCompShareInstancePasswordRequest()
	req.Zone = ucloud.String(zone)
	req.UHostId = ucloud.String(a)
	req.Password = ucloud.String(password3)
	resp, err := c.ResetCompShareInstancePassword(req)
	if err := c.ok(resp, err); err != nil {
		return err
	}
	return until(settle(), "the new password in Describe", func() (bool, error) {
		h, err := describeOne(c, a)
		return err == nil && h.Password == password3 && h.State == "Running", err
	})
}

func rename() error {
	a := s.state["a"]
	// The docs' rule: up to 63 of Chinese, letters, digits and _ . , : -
	bad := c.NewModifyCompShareInstanceNameRequest()
	bad.Zone = ucloud.String(zone)
	bad.UHostId = ucloud.String(a)
	bad.Name = ucloud.String("a+b")
	br, err := c.ModifyCompShareInstanceName(bad)
	if err := expectPrefix(br, err, 230, "Params [Name] not available"); err != nil {
		return err
	}
	for _, name := range []string{"go-compat-renamed", "算力实例_1.a,b:c-d"} {
		req := c.NewModifyCompShareInstanceNameRequest()
		req.Zone = ucloud.String(zone)
		req.UHostId = ucloud.String(a)
		req.Name = ucloud.String(name)
		resp, err := c.ModifyCompShareInstanceName(req)
		if err := c.ok(resp, err); err != nil {
			return err
		}
		h, err := describeOne(c, a)
		if err != nil {
			return err
		}
		if err := equal(h.Name, name, "Name after rename"); err != nil {
			return err
		}
	}
	return nil
}

func terminateIt() error {
	a := s.state["a"]
	// CompShare deletes only a Stopped instance: a Running one is refused (8010), naming the rule.
	if _, err := waitState(c, a, "Running"); err != nil {
		return err
	}
	refused, err := terminate(c, a)
	if err := expectCode(refused, err, 8010, "InstanceMustBeStopped", ""); err != nil {
		return err
	}
	if !strings.Contains(refused.GetMessage(), "TerminateCompShareInstance needs it to be Stopped") {
		return fmt.Errorf("the refusal should name the rule: %q", refused.GetMessage())
	}
	if err := stopForTerminate(c, a); err != nil {
		return err
	}
	resp, err := terminate(c, a)
	if err := c.ok(resp, err); err != nil {
		return err
	}
	var seen []int
	deadline := time.Now().Add(settle())
	for time.Now().Before(deadline) {
		_, err := reboot(c, a)
		code := codeOf(err)
		if len(seen) == 0 || seen[len(seen)-1] != code {
			seen = append(seen, code)
		}
		if code == 8039 {
			break
		}
	}
	for _, code := range seen {
		switch code {
		case 226610, 226612, 8905, 8039:
		default:
			return fmt.Errorf("codes during terminate: %v", seen)
		}
	}
	// A stopped instance's deletion is only the machine's destroy (a third of OCS_SIM_BOOT_MS here):
	// a probe sees InstanceRecycling (226612) only when it lands in that window. The server's own
	// suite holds the destroy and checks 226612 every time (test/reboot/rules.test.ts).
	if len(seen) == 0 || seen[len(seen)-1] != 8039 {
		return fmt.Errorf("the codes should end with InstanceNotFound once released: %v", seen)
	}
	if err := waitGone(c, a); err != nil {
		return err
	}
	r, err := reboot(c, a)
	return expectCode(r, err, 8039, "InstanceNotFound", "")
}
