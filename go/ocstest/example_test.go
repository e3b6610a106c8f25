package ocstest_test

import (
	"testing"

	"github.com/opencompshare/opencompshare/go/ocstest"
	"github.com/ucloud/ucloud-sdk-go/ucloud"
)

// A pay-as-you-go instance stopped for 7 days is reclaimed. With the server's clock, the week
// takes a second.
func TestReclaimAfterSevenDaysStopped(t *testing.T) {
	srv := ocstest.Start(t) // a fresh server in testing mode, stopped when the test ends
	cs := srv.CompShare()   // the official SDK's CompShare client, with the operator's keys

	create := cs.NewCreateCompShareInstanceRequest()
	create.CPU, create.Memory, create.GPU = ucloud.Int(16), ucloud.Int(65536), ucloud.Int(1)
	create.GpuType, create.MachineType = ucloud.String("4090"), ucloud.String("G")
	create.CompShareImageId = ucloud.String("compshareImage-ubuntu2204")
	create.ChargeType = ucloud.String("Postpay")
	created, err := cs.CreateCompShareInstance(create)
	if err != nil {
		t.Fatal(err)
	}
	id := created.UHostIds[0]
	if err := srv.WaitState(id, "Running"); err != nil {
		t.Fatal(err)
	}

	stop := cs.NewStopCompShareInstanceRequest()
	stop.UHostId = ucloud.String(id)
	if _, err := cs.StopCompShareInstance(stop); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitState(id, "Stopped"); err != nil {
		t.Fatal(err)
	}

	// Eight days later: the answer comes once the reclaim policy has released the instance.
	if _, err := srv.Advance(8 * 24 * 3600); err != nil {
		t.Fatal(err)
	}
	if state, err := srv.State(id); err != nil || state != ocstest.Gone {
		t.Fatalf("8 days stopped, the instance is %s (%v), want it reclaimed", state, err)
	}
}
