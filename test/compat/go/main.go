package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
	"github.com/ucloud/ucloud-sdk-go/ucloud/request"
	"github.com/ucloud/ucloud-sdk-go/ucloud/response"
)

var (
	s     = &suite{state: map[string]string{}}
	c     *sdk // the default account
	other *sdk // the second account, with its ProjectId in the config
)

func b64(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) }

var (
	password1 = b64("Go-Compat-Passw0rd-1")
	password2 = b64("Go-Compat-Passw0rd-2")
	password3 = b64("Go-Compat-Passw0rd-3")
)

// ---------------------------------------------------------------------------------------------
// Helpers on instances, all through the typed client.

func newCreate(client *sdk) *ucompshare.CreateCompShareInstanceRequest {
	req := client.NewCreateCompShareInstanceRequest()
	req.Zone = ucloud.String(zone)
	req.CPU = ucloud.Int(16)
	req.Memory = ucloud.Int(65536)
	req.GPU = ucloud.Int(1)
	req.GpuType = ucloud.String("4090")
	req.MachineType = ucloud.String("G")
	req.CompShareImageId = ucloud.String(ubuntu)
	return req
}

func describeOne(client *sdk, id string) (*ucompshare.CompShareInstanceSet, error) {
	req := client.NewDescribeCompShareInstanceRequest()
	req.Zone = ucloud.String(zone)
	req.UHostIds = []string{id}
	resp, err := client.DescribeCompShareInstance(req)
	if err := client.ok(resp, err); err != nil {
		return nil, err
	}
	for i := range resp.UHostSet {
		if resp.UHostSet[i].UHostId == id {
			return &resp.UHostSet[i], nil
		}
	}
	return nil, nil
}

func waitState(client *sdk, id, state string) (*ucompshare.CompShareInstanceSet, error) {
	var got *ucompshare.CompShareInstanceSet
	var seen []string
	err := until(settle(), fmt.Sprintf("%s to be %s", id, state), func() (bool, error) {
		h, err := describeOne(client, id)
		if err != nil {
			return false, err
		}
		st := "<gone>"
		if h != nil {
			st = h.State
		}
		if len(seen) == 0 || seen[len(seen)-1] != st {
			seen = append(seen, st)
		}
		got = h
		return h != nil && h.State == state, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%v (states seen: %v)", err, seen)
	}
	return got, nil
}

func waitGone(client *sdk, id string) error {
	return until(settle(), id+" to leave Describe", func() (bool, error) {
		h, err := describeOne(client, id)
		return h == nil, err
	})
}

func createRunning(client *sdk, name string) (string, error) {
	req := newCreate(client)
	req.Name = ucloud.String(name)
	resp, err := client.CreateCompShareInstance(req)
	if err := client.ok(resp, err); err != nil {
		return "", err
	}
	if len(resp.UHostIds) != 1 {
		return "", fmt.Errorf("UHostIds: %v", resp.UHostIds)
	}
	_, err = waitState(client, resp.UHostIds[0], "Running")
	return resp.UHostIds[0], err
}

func reboot(client *sdk, id string) (*ucompshare.RebootCompShareInstanceResponse, error) {
	req := client.NewRebootCompShareInstanceRequest()
	req.Zone = ucloud.String(zone)
	req.UHostId = ucloud.String(id)
	return client.RebootCompShareInstance(req)
}

func stop(client *sdk, id string) (*ucompshare.StopCompShareInstanceResponse, error) {
	req := client.NewStopCompShareInstanceRequest()
	req.Zone = ucloud.String(zone)
	req.UHostId = ucloud.String(id)
	return client.StopCompShareInstance(req)
}

func terminate(client *sdk, id string) (*ucompshare.TerminateCompShareInstanceResponse, error) {
	req := client.NewTerminateCompShareInstanceRequest()
	req.Zone = ucloud.String(zone)
	req.UHostId = ucloud.String(id)
	return client.TerminateCompShareInstance(req)
}

func stopAndWait(client *sdk, id string) error {
	resp, err := stop(client, id)
	if err := client.ok(resp, err); err != nil {
		return err
	}
	_, err = waitState(client, id, "Stopped")
	return err
}

// busyCode calls fn until the acceptance lock is released (226610 only while it is held).
func busyCode(fn func() error) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		code := codeOf(fn())
		if code != 226610 || time.Now().After(deadline) {
			return code
		}
	}
}

// ---------------------------------------------------------------------------------------------
// The seed's Go example, run as its own program: only BaseUrl, the keys and the UHostId changed.

func runSeed(id string) (string, error) {
	cmd := exec.Command(env.seedBin)
	cmd.Env = append(os.Environ(), "OCS_COMPAT_UHOST_ID="+id)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("the seed example failed: %v", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// hasLine: a line of out starts with prefix (the SDK's logger writes its warning to stdout too).
func hasLine(out, prefix string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

func seedReboots() error {
	id, err := createRunning(c, "go-seed")
	if err != nil {
		return err
	}
	s.state["seed"] = id
	out, err := runSeed(id)
	if err != nil {
		return err
	}
	if !hasLine(out, "重启成功: "+id) {
		return fmt.Errorf("the seed's output: %q", out)
	}
	if err := equal(out, "重启成功: "+id, "the seed's output"); err != nil {
		return err
	}
	_, err = waitState(c, id, "Running")
	return err
}

func seedOnStopped() error {
	id := s.state["seed"]
	if err := stopAndWait(c, id); err != nil {
		return err
	}
	out, err := runSeed(id)
	if err != nil {
		return err
	}
	if !hasLine(out, "调用失败: RetCode=8905 Msg=InstanceStateInvalid: ") || !strings.Contains(out, id) {
		return fmt.Errorf("the seed should print the 8905 error naming the instance: %q", out)
	}
	return nil
}

func seedOnTerminated() error {
	id := s.state["seed"]
	resp, err := terminate(c, id)
	if err := c.ok(resp, err); err != nil {
		return err
	}
	if err := waitGone(c, id); err != nil {
		return err
	}
	out, err := runSeed(id)
	if err != nil {
		return err
	}
	if !hasLine(out, "调用失败: RetCode=8039 Msg=InstanceNotFound: ") {
		return fmt.Errorf("the seed should print the 8039 error: %q", out)
	}
	return nil
}

// ---------------------------------------------------------------------------------------------
// The scenario through the typed ucompshare client.

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

func stopScheduler(withZone bool) func() error {
	return func() error {
		b := s.state["b"]
		at := int(time.Now().Unix()) + 3600
		up := other.NewUpdateCompShareStopSchedulerRequest()
		if withZone {
			up.Zone = ucloud.String(zone)
		}
		up.UHostId = ucloud.String(b)
		up.StopTime = ucloud.Int(at)
		ur, err := other.UpdateCompShareStopScheduler(up)
		if err := other.ok(ur, err); err != nil {
			return err
		}
		h, err := describeOne(other, b)
		if err != nil {
			return err
		}
		if err := equal(h.StopSchedulerTime, at, "StopSchedulerTime"); err != nil {
			return err
		}
		del := other.NewDeleteCompShareStopSchedulerRequest()
		if withZone {
			del.Zone = ucloud.String(zone)
		}
		del.UHostId = ucloud.String(b)
		dr, err := other.DeleteCompShareStopScheduler(del)
		if err := other.ok(dr, err); err != nil {
			return err
		}
		h, err = describeOne(other, b)
		if err != nil {
			return err
		}
		return equal(h.StopSchedulerTime, 0, "StopSchedulerTime after delete")
	}
}

func secondAccountInstance() error {
	b, err := createRunning(other, "go-compat-b")
	if err != nil {
		return err
	}
	s.state["b"] = b
	return nil
}

func secondAccountCleanup() error {
	b := s.state["b"]
	resp, err := terminate(other, b)
	if err := other.ok(resp, err); err != nil {
		return err
	}
	return waitGone(other, b)
}

func isolation() error {
	a := s.state["a"]
	req := other.NewDescribeCompShareInstanceRequest()
	req.UHostIds = []string{a}
	resp, err := other.DescribeCompShareInstance(req)
	if err := other.ok(resp, err); err != nil {
		return err
	}
	if resp.TotalCount != 0 || len(resp.UHostSet) != 0 {
		return fmt.Errorf("another account's Describe sees the instance: %+v", resp)
	}
	r, err := reboot(other, a)
	if err := expectCode(r, err, 8039, "InstanceNotFound", ""); err != nil {
		return err
	}
	t, err := terminate(other, a)
	return expectCode(t, err, 8039, "InstanceNotFound", "")
}

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

func terminateIt() error {
	a := s.state["a"]
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
	recycling := false
	for _, code := range seen {
		switch code {
		case 226612:
			recycling = true
		case 226610, 8905, 8039:
		default:
			return fmt.Errorf("codes during terminate: %v", seen)
		}
	}
	if !recycling {
		return fmt.Errorf("a reboot while the instance is reclaimed should answer InstanceRecycling (226612); codes seen: %v", seen)
	}
	if err := waitGone(c, a); err != nil {
		return err
	}
	r, err := reboot(c, a)
	return expectCode(r, err, 8039, "InstanceNotFound", "")
}

// ---------------------------------------------------------------------------------------------
// Error paths.

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
			_, _ = terminate(c, id)
		}
	}
}

func main() {
	loadEnv()
	c = defaultSDK()
	other = otherSDK()

	s.check("seed example reboots an instance the suite created", nil, seedReboots)
	s.check("seed example on a Stopped instance prints InstanceStateInvalid (8905)", []string{"seed"}, seedOnStopped)
	s.check("seed example on a terminated instance prints InstanceNotFound (8039)", []string{"seed"}, seedOnTerminated)

	a := []string{"bootDisk"}
	s.check("DescribeCompShareImages: platform images, filters, paging", nil, images)
	s.check("CreateCompShareInstance with every optional field", nil, create)
	s.check("DescribeCompShareInstance: Running, strictly decoded, every field known to the SDK", []string{"a"}, describe)
	s.check("RebootCompShareInstance: Rebooting then Running; a second one is InstanceOperationInProgress; operation record", a, rebootTwice)
	s.check("Reinstall and Resize of a Running instance: InstanceMustBeStopped", a, needsStopped)
	s.check("StopCompShareInstance: Stopped; reboot and stop then InstanceStateInvalid", a, stopIt)
	s.check("ReinstallCompShareInstance: new image and password; reboot meanwhile InstanceBackgroundTask", a, reinstall)
	s.check("ResizeCompShareInstance: Resizing then Stopped with the new size", a, resize)
	s.check("StartCompShareInstance: Starting then Running", a, start)
	s.check("ResetCompShareInstancePassword", a, resetPassword)
	s.check("ModifyCompShareInstanceName", a, rename)
	s.check("Second account (ProjectId in the config) creates an instance", nil, secondAccountInstance)
	s.check("UpdateCompShareStopScheduler and DeleteCompShareStopScheduler (with Zone)", []string{"b"}, stopScheduler(true))
	s.check("Update/DeleteCompShareStopScheduler without Zone (optional in the SDK models)", []string{"b"}, stopScheduler(false))
	s.check("Terminate the second account's instance", []string{"b"}, secondAccountCleanup)
	s.check("Another account sees nothing and gets InstanceNotFound", a, isolation)
	s.check("Custom image: create, progress, InstanceImageMaking, Available", a, customImage)
	s.check("Custom image: another account cannot create from it (ImageNotFound)", []string{"image"}, customImageIsolation)
	vmImageNotPublishable()
	s.check("TerminateCompShareCustomImage", []string{"image"}, terminateCustomImage)
	s.check("TerminateCompShareInstance: InstanceRecycling, then released", a, terminateIt)

	s.check("Common errors: 220, 230, 171, 172, 161 with UCloud's wording", nil, commonErrors)
	s.check("Instance errors: InstanceNotFound, ImageNotFound, ResourceNotEnough", nil, instanceErrors)
	s.check("Retries: MaxRetries resends a reboot, never a Create", nil, retries)
	s.check("CreateCompShareInstance: Quantity=0 is refused (230), as CompShare documents", nil, quantityZero)
	s.check("CreateCompShareInstance: Quantity=2 is a duration and makes one instance", nil, quantity(2))

	runFamilies()

	s.done()
}
