// Data disks of the Postpay billing instance: CreateAndAttachCompshareDisk (with the operation
// record, the console output and the policy view of the instance), DescribeCompshareDisk, the
// upgrade price of a data and a system disk, the errors while the instance runs, and the lifecycle
// of resize, detach, attach and delete.
package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

func diskOf(client *sdk, id string) *diskResource {
	req := &describeDiskRequest{UDiskId: ucloud.String(id)}
	resp := &describeDiskResponse{}
	must(client.call("DescribeCompshareDisk", req, resp))
	if len(resp.DiskSet) == 0 {
		return nil
	}
	return &resp.DiskSet[0]
}

func waitDisk(id, status string, size int) *diskResource {
	var got *diskResource
	must(until(settle(), fmt.Sprintf("disk %s to be %s", id, status), func() (bool, error) {
		got = diskOf(c, id)
		return got != nil && got.Status == status && (size == 0 || got.Size == size), nil
	}))
	return got
}

func diskCreate() error {
	postpay := s.state["postpay"]
	newReq := func() *createDiskRequest {
		r := &createDiskRequest{UHostId: ucloud.String(postpay), Size: ucloud.Int(20), DiskType: ucloud.String("SSDDataDisk"), Name: ucloud.String("go-data"), ChargeType: ucloud.String("Postpay")}
		onZone(r)
		r.SetRetryable(false)
		return r
	}
	r := newReq()
	r.DiskType = ucloud.String("NoSuchDisk")
	bad := &udiskIDResponse{}
	must(expectPrefix(bad, c.invoke("CreateAndAttachCompshareDisk", r, bad), 230, "Params [DiskType] not available"))
	r = newReq()
	r.UHostId = ucloud.String(notFound)
	bad = &udiskIDResponse{}
	must(expectCode(bad, c.invoke("CreateAndAttachCompshareDisk", r, bad), 8039, "InstanceNotFound", ""))
	resp := &udiskIDResponse{}
	must(whenFree(func() error { return c.call("CreateAndAttachCompshareDisk", newReq(), resp) }))
	disk := resp.UDiskId
	expect(strings.HasPrefix(disk, "bsi-"), "UDiskId %q", disk)
	s.state["disk"] = disk
	waitDisk(disk, "InUse", 0)
	h := mustDescribe(c, postpay)
	var data *ucompshare.UHostDiskSet
	for i := range h.DiskSet {
		if h.DiskSet[i].DiskId == disk {
			data = &h.DiskSet[i]
		}
		if h.DiskSet[i].IsBoot == "True" {
			s.state["boot"] = h.DiskSet[i].DiskId
		}
	}
	expect(data != nil, "the new disk is not in the DiskSet: %+v", h.DiskSet)
	must(equal([]string{data.IsBoot, data.Type, data.DiskType, strconv.Itoa(data.Size)}, []string{"False", "Data", "CLOUD_SSD", "20"}, "the data disk in DiskSet"))
	ops := &operationsResponse{}
	must(c.call("DescribeCompShareInstanceOperations", &operationsRequest{UHostId: ucloud.String(postpay), Limit: ucloud.Int(10)}, ops))
	found := false
	for _, op := range ops.OperationSet {
		if op.Action == "CreateAndAttachCompshareDisk" && op.Status == "Succeeded" && op.Source == "api" && op.Requester != "" {
			found = true
		}
	}
	expect(found, "no Succeeded CreateAndAttachCompshareDisk asked through the api (with its requester) among the operations %+v", ops.OperationSet)
	out := &consoleResponse{}
	must(c.call("GetCompShareInstanceConsoleOutput", &consoleRequest{UHostId: ucloud.String(postpay), Length: ucloud.Int(4096)}, out))
	must(equal(out.UHostId, postpay, "UHostId of the console output"))
	expect(strings.Contains(out.Output, "ocs-boot-id: ") && len(out.Output) <= 4096 && out.Timestamp > 0, "the console shows a boot id: %q", out.Output)
	refused := &consoleResponse{}
	must(expectCode(refused, other.invoke("GetCompShareInstanceConsoleOutput", &consoleRequest{UHostId: ucloud.String(postpay)}, refused), 8039, "InstanceNotFound", ""))
	pol := &policyResponse{}
	must(c.call("DescribeCompShareInstancePolicy", &policyRequest{UHostId: ucloud.String(postpay)}, pol))
	must(equal([]string{pol.UHostId, pol.ChargeType, strconv.FormatFloat(pol.UnpaidAmount, 'f', 2, 64)}, []string{postpay, "Postpay", "0.00"}, "the policy view of a pay-as-you-go instance"))
	expect(pol.Balance > 0 && (pol.Timeline == "" || pol.Timeline == "stopped"), "balance and timeline: %+v", pol)
	notMine := &policyResponse{}
	return expectCode(notMine, other.invoke("DescribeCompShareInstancePolicy", &policyRequest{UHostId: ucloud.String(postpay)}, notMine), 8039, "InstanceNotFound", "")
}

func diskDescribe() error {
	postpay, disk := s.state["postpay"], s.state["disk"]
	resp := &describeDiskResponse{}
	must(c.call("DescribeCompshareDisk", &describeDiskRequest{HostId: ucloud.String(postpay)}, resp))
	must(equal(resp.TotalCount, 1, "TotalCount of the instance's disks"))
	d := resp.DiskSet[0]
	must(equal(
		[]string{d.ResourceId, d.UDiskId, d.MountInstance, d.Zone, d.Region, d.Status, d.Configuration, d.Name, d.ChargeType, strconv.Itoa(d.Size)},
		[]string{disk, disk, postpay, zone, region, "InUse", "20GB", "go-data", "Postpay", "20"},
		"the disk"))
	expect(strings.HasPrefix(d.Device, "/dev/vd") && d.CreateTime > 0, "Device and CreateTime: %+v", d)
	expect(diskOf(c, "bsi-doesnotexist") == nil, "an unknown disk is listed")
	expect(diskOf(other, disk) == nil, "another account sees the disk")
	return nil
}

func diskUpgradeRequest(disk, space string) *ucompshare.GetCompShareAttachedDiskUpgradePriceRequest {
	req := c.NewGetCompShareAttachedDiskUpgradePriceRequest()
	onZone(req)
	req.UHostId = ucloud.String(s.state["postpay"])
	req.DiskId = ucloud.String(disk)
	req.DiskSpace = ucloud.String(space) // a string in the SDK model
	return req
}

func diskUpgradePrice() error {
	disk := s.state["disk"]
	resp, err := c.GetCompShareAttachedDiskUpgradePrice(diskUpgradeRequest(disk, "40"))
	must(c.ok(resp, err))
	expect(resp.Price > 0, "Price %+v", resp)
	must(equal(resp.PriceDetail.UDisk, resp.Price, "PriceDetail.UDisk"))
	must(equal(resp.ListPriceDetail.UDisk, resp.ListPrice, "ListPriceDetail.UDisk"))
	must(equal(resp.OriginalPriceDetail.Snapshot, 0.0, "Snapshot"))
	big, err := c.GetCompShareAttachedDiskUpgradePrice(diskUpgradeRequest(disk, "80"))
	must(c.ok(big, err))
	expect(big.Price > resp.Price, "more GB cost more: %v vs %v", big.Price, resp.Price)
	sys, err := c.GetCompShareAttachedDiskUpgradePrice(diskUpgradeRequest(s.state["boot"], "300"))
	must(c.ok(sys, err))
	expect(sys.Price > 0, "the system disk beyond its free size: %+v", sys)
	bad, err := c.GetCompShareAttachedDiskUpgradePrice(diskUpgradeRequest("bsi-doesnotexist", "40"))
	must(expectCode(bad, err, 226616, "DiskNotFound", ""))
	bad, err = c.GetCompShareAttachedDiskUpgradePrice(diskUpgradeRequest(disk, "10"))
	return expectPrefix(bad, err, 230, "Params [DiskSpace] not available")
}

func detachDisk(client *sdk, host, disk string) (*ucompshare.DetachCompshareDiskResponse, error) {
	req := client.NewDetachCompshareDiskRequest()
	onZone(req)
	req.UHostId = ucloud.String(host)
	req.UDiskId = ucloud.String(disk)
	return client.DetachCompshareDisk(req)
}

func attachDisk(client *sdk, host, disk string) (*ucompshare.AttachCompshareDiskResponse, error) {
	req := client.NewAttachCompshareDiskRequest()
	onZone(req)
	req.UHostId = ucloud.String(host)
	req.UDiskId = ucloud.String(disk)
	return client.AttachCompshareDisk(req)
}

func resizeDisk(client *sdk, disk string, size int) (*ucompshare.ResizeCompShareDiskResponse, error) {
	req := client.NewResizeCompShareDiskRequest()
	onZone(req)
	req.UDiskId = ucloud.String(disk)
	req.Size = ucloud.Int(size)
	return client.ResizeCompShareDisk(req)
}

func deleteDisk(client *sdk, disk string) (*ucompshare.DeleteCompshareDiskResponse, error) {
	req := client.NewDeleteCompshareDiskRequest()
	onZone(req)
	req.UDiskId = ucloud.String(disk)
	// Required by the SDK model (Go does not check); the server ignores them.
	req.OrganizationID = ucloud.Int(0)
	req.TopOrganizationID = ucloud.Int(0)
	return client.DeleteCompshareDisk(req)
}

func diskRunningErrors() error {
	postpay, disk := s.state["postpay"], s.state["disk"]
	dr, err := detachDisk(c, postpay, disk)
	must(expectCode(dr, err, 8010, "InstanceMustBeStopped", ""))
	rr, err := resizeDisk(c, disk, 30)
	must(expectCode(rr, err, 8010, "InstanceMustBeStopped", ""))
	xr, err := deleteDisk(c, disk)
	must(expectCode(xr, err, 8434, "DiskNotAvailable", ""))
	dr, err = detachDisk(c, postpay, "bsi-doesnotexist")
	must(expectCode(dr, err, 226616, "DiskNotFound", ""))
	xr, err = deleteDisk(other, disk)
	return expectCode(xr, err, 226616, "DiskNotFound", "")
}

func diskLifecycle() error {
	postpay, disk := s.state["postpay"], s.state["disk"]
	must(whenFree(func() error { return stopAndWait(c, postpay) }))
	// Attached: a background task of the Stopped instance.
	must(whenFree(func() error { r, err := resizeDisk(c, disk, 30); return c.ok(r, err) }))
	waitDisk(disk, "InUse", 30)
	rr, err := resizeDisk(c, disk, 25)
	must(expectPrefix(rr, err, 230, "Params [Size] not available"))
	must(whenFree(func() error { r, err := detachDisk(c, postpay, disk); return c.ok(r, err) }))
	d := waitDisk(disk, "Available", 0)
	must(equal(d.MountInstance, "", "MountInstance of a detached disk"))
	for _, x := range mustDescribe(c, postpay).DiskSet {
		expect(x.DiskId != disk, "the detached disk is still in the DiskSet")
	}
	// Detached: resized at once.
	rr, err = resizeDisk(c, disk, 40)
	must(c.ok(rr, err))
	must(equal(rr.UDiskId, disk, "UDiskId"))
	must(equal(diskOf(c, disk).Size, 40, "Size of the detached disk after the resize"))
	must(whenFree(func() error { r, err := attachDisk(c, postpay, disk); return c.ok(r, err) }))
	d = waitDisk(disk, "InUse", 0)
	must(equal(d.MountInstance, postpay, "MountInstance after AttachCompshareDisk"))
	ar, err := attachDisk(c, postpay, disk)
	must(expectCode(ar, err, 8434, "DiskNotAvailable", ""))
	must(whenFree(func() error { r, err := detachDisk(c, postpay, disk); return c.ok(r, err) }))
	waitDisk(disk, "Available", 0)
	xr, err := deleteDisk(c, disk)
	must(c.ok(xr, err))
	must(equal(xr.UDiskId, disk, "UDiskId"))
	expect(diskOf(c, disk) == nil, "a deleted disk is still listed")
	xr, err = deleteDisk(c, disk)
	must(c.ok(xr, err)) // deleting it again succeeds
	rr, err = resizeDisk(c, disk, 50)
	must(expectCode(rr, err, 226616, "DiskNotFound", ""))
	ar, err = attachDisk(c, postpay, disk)
	return expectCode(ar, err, 226616, "DiskNotFound", "")
}
