// Instance helpers of the tests, through the SDK's typed CompShare client.

package ocstest_test

import (
	"testing"

	"github.com/opencompshare/opencompshare/go/ocstest"
	"github.com/ucloud/ucloud-sdk-go/services/ucompshare"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

// createRunning creates a pay-as-you-go 4090 instance and waits until it runs.
func createRunning(t *testing.T, srv *ocstest.Server, name string) string {
	t.Helper()
	cs := srv.CompShare()
	req := cs.NewCreateCompShareInstanceRequest()
	req.Name = ucloud.String(name)
	req.CPU, req.Memory, req.GPU = ucloud.Int(16), ucloud.Int(65536), ucloud.Int(1)
	req.GpuType, req.MachineType = ucloud.String("4090"), ucloud.String("G")
	req.CompShareImageId = ucloud.String("compshareImage-ubuntu2204")
	req.ChargeType = ucloud.String("Postpay")
	resp, err := cs.CreateCompShareInstance(req)
	if err != nil || len(resp.UHostIds) != 1 {
		t.Fatalf("CreateCompShareInstance: %v (UHostIds %v)", err, resp.UHostIds)
	}
	waitState(t, srv, resp.UHostIds[0], "Running")
	return resp.UHostIds[0]
}

func waitState(t *testing.T, srv *ocstest.Server, id, state string) {
	t.Helper()
	if err := srv.WaitState(id, state); err != nil {
		t.Fatal(err)
	}
}

func state(t *testing.T, srv *ocstest.Server, id string) string {
	t.Helper()
	st, err := srv.State(id)
	if err != nil {
		t.Fatalf("DescribeCompShareInstance %s: %v", id, err)
	}
	return st
}

func reboot(cs *ucompshare.UCompShareClient, id string) error {
	req := cs.NewRebootCompShareInstanceRequest()
	req.UHostId = ucloud.String(id)
	_, err := cs.RebootCompShareInstance(req)
	return err
}

func stop(cs *ucompshare.UCompShareClient, id string) error {
	req := cs.NewStopCompShareInstanceRequest()
	req.UHostId = ucloud.String(id)
	_, err := cs.StopCompShareInstance(req)
	return err
}

// stopAndTerminate stops the instance (Terminate needs it Stopped), terminates it, and waits
// until Describe no longer lists it.
func stopAndTerminate(t *testing.T, srv *ocstest.Server, id string) {
	t.Helper()
	cs := srv.CompShare()
	if err := stop(cs, id); err != nil {
		t.Fatalf("StopCompShareInstance: %v", err)
	}
	waitState(t, srv, id, "Stopped")
	req := cs.NewTerminateCompShareInstanceRequest()
	req.UHostId = ucloud.String(id)
	if _, err := cs.TerminateCompShareInstance(req); err != nil {
		t.Fatalf("TerminateCompShareInstance: %v", err)
	}
	waitState(t, srv, id, ocstest.Gone)
}

// fault answers the fault as DescribeCompShareFaults lists it.
func fault(t *testing.T, srv *ocstest.Server, id string) ocstest.Fault {
	t.Helper()
	faults, err := srv.Faults()
	if err != nil {
		t.Fatalf("DescribeCompShareFaults: %v", err)
	}
	for _, f := range faults {
		if f.FaultId == id {
			return f
		}
	}
	t.Fatalf("fault %s is not listed: %+v", id, faults)
	return ocstest.Fault{}
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
