package ocstest_test

import (
	"testing"

	"github.com/opencompshare/opencompshare/go/ocstest"
)

// A snapshot holds the whole state: an instance terminated after it is back after a restore,
// and so are the clock and the faults of the moment.
func TestSnapshotRestore(t *testing.T) {
	t.Parallel()
	srv := ocstest.Start(t)
	id := createRunning(t, srv, "kept")
	must(t, srv.Snapshot("before"))

	snaps, err := srv.Snapshots()
	must(t, err)
	if len(snaps) != 1 || snaps[0].Name != "before" || snaps[0].Size <= 0 || snaps[0].CreateTime <= 0 {
		t.Fatalf("DescribeCompShareSnapshots: %+v", snaps)
	}
	// Saving under a taken name needs Overwrite.
	if _, err := srv.Invoke("SaveCompShareSnapshot", map[string]any{"Name": "before"}); ocstest.Code(err) <= 0 {
		t.Fatalf("a second save under the same name without Overwrite: %v, want a refusal", err)
	}

	stopAndTerminate(t, srv, id)
	_, err = srv.Advance(3600)
	must(t, err)
	_, err = srv.Fault(ocstest.FaultSpec{Method: "powerOn", Mode: "fail"})
	must(t, err)

	must(t, srv.Restore("before"))
	if st := state(t, srv, id); st != "Running" {
		t.Fatalf("after the restore the instance is %s, want Running", st)
	}
	if clock, err := srv.Clock(); err != nil || clock.OffsetSeconds != 0 {
		t.Fatalf("after the restore the clock is %+v (%v), want the offset of the snapshot (0)", clock, err)
	}
	if faults, err := srv.Faults(); err != nil || len(faults) != 0 {
		t.Fatalf("after the restore the faults are %+v (%v), want none, as at the snapshot", faults, err)
	}
	// The restored instance is a working one.
	must(t, reboot(srv.CompShare(), id))
	waitState(t, srv, id, "Running")

	must(t, srv.DeleteSnapshot("before"))
	if snaps, err := srv.Snapshots(); err != nil || len(snaps) != 0 {
		t.Fatalf("after DeleteCompShareSnapshot: %+v (%v)", snaps, err)
	}
}

// A reset is a fresh server with the same operator keys: no instances, faults or clock offset;
// the snapshots are kept.
func TestResetKeepsKeys(t *testing.T) {
	t.Parallel()
	srv := ocstest.Start(t)
	createRunning(t, srv, "to-forget")
	_, err := srv.Fault(ocstest.FaultSpec{Method: "reboot", Mode: "fail"})
	must(t, err)
	_, err = srv.Advance(86400)
	must(t, err)
	must(t, srv.Snapshot("kept"))
	if before := balance(t, srv); before >= 1000000 {
		t.Fatalf("a day of a running 4090 cost nothing: the balance is %v", before)
	}

	must(t, srv.Reset())

	cs := srv.CompShare() // the same keys
	resp, err := cs.DescribeCompShareInstance(cs.NewDescribeCompShareInstanceRequest())
	must(t, err)
	if resp.TotalCount != 0 || len(resp.UHostSet) != 0 {
		t.Fatalf("after the reset DescribeCompShareInstance lists %d instances: %+v", resp.TotalCount, resp.UHostSet)
	}
	if clock, err := srv.Clock(); err != nil || clock.OffsetSeconds != 0 {
		t.Fatalf("after the reset the clock is %+v (%v), want no offset", clock, err)
	}
	if faults, err := srv.Faults(); err != nil || len(faults) != 0 {
		t.Fatalf("after the reset the faults are %+v (%v)", faults, err)
	}
	if snaps, err := srv.Snapshots(); err != nil || len(snaps) != 1 || snaps[0].Name != "kept" {
		t.Fatalf("after the reset the snapshots are %+v (%v), want kept", snaps, err)
	}
	if after := balance(t, srv); after != 1000000 {
		t.Fatalf("after the reset the balance is %v, want the initial 1000000", after)
	}
	// The account works as a new one: it can create an instance again.
	createRunning(t, srv, "after-reset")
}

// balance is the operator's balance in CNY (DescribeCompShareBills, an extension of ours).
func balance(t *testing.T, srv *ocstest.Server) float64 {
	t.Helper()
	bills, err := srv.Invoke("DescribeCompShareBills", map[string]any{"Limit": 1})
	must(t, err)
	b, ok := bills["Balance"].(float64)
	if !ok {
		t.Fatalf("DescribeCompShareBills has no Balance: %v", bills)
	}
	return b
}
