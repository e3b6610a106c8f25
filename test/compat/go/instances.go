// Helpers on instances, all through the typed client: the Create request the checks start from,
// Describe of one instance, waiting for a state or for the instance to leave Describe, and the
// calls the checks repeat (reboot, stop, terminate), with busyCode for the acceptance lock.
package main

import (
	"fmt"
	"time"

	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

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

// stopForTerminate stops the instance when it runs: CompShare deletes only a Stopped instance.
// It first waits out a transitional state (a create, start, reboot or stop under way).
func stopForTerminate(client *sdk, id string) error {
	var state string
	err := until(settle(), id+" to settle", func() (bool, error) {
		h, err := describeOne(client, id)
		if err != nil || h == nil {
			return err == nil, err
		}
		state = h.State
		switch state {
		case "Initializing", "Starting", "Rebooting", "Stopping", "Resizing":
			return false, nil
		}
		return true, nil
	})
	if err != nil || state != "Running" {
		return err
	}
	if err := whenFree(func() error { r, err := stop(client, id); return client.ok(r, err) }); err != nil {
		return err
	}
	_, err = waitState(client, id, "Stopped")
	return err
}

// terminateStopped is TerminateCompShareInstance as a user must call it: stopped first.
func terminateStopped(client *sdk, id string) (*ucompshare.TerminateCompShareInstanceResponse, error) {
	if err := stopForTerminate(client, id); err != nil {
		return nil, err
	}
	return terminate(client, id)
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
