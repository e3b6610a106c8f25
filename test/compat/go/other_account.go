// The second account (its ProjectId in the config): an instance of its own for the stop scheduler,
// set and deleted with and without Zone, then terminated; and isolation: that account sees nothing
// of instance `a` and gets InstanceNotFound for it.
package main

import (
	"fmt"
	"time"

	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

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
	resp, err := terminateStopped(other, b)
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
