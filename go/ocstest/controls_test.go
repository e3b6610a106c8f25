package ocstest_test

import (
	"math"
	"testing"
	"time"

	"github.com/opencompshare/opencompshare/go/ocstest"
)

// A soft reboot that hangs holds the instance until the soft timeout (60 s of the server's clock),
// then falls back to a hard reboot, and the instance runs again.
func TestHungRebootFallsBackToHard(t *testing.T) {
	t.Parallel()
	srv := ocstest.Start(t)
	cs := srv.CompShare()
	id := createRunning(t, srv, "hung-reboot")

	hang, err := srv.Fault(ocstest.FaultSpec{Method: "reboot", Mode: "hang", UHostID: id})
	must(t, err)
	// A probe on the fallback: a hard reboot of this instance is caught (1 ms late) and counted.
	hard, err := srv.Fault(ocstest.FaultSpec{Method: "hardReboot", Mode: "slow", DelayMs: 1, UHostID: id})
	must(t, err)
	must(t, reboot(cs, id))

	deadline := time.Now().Add(10 * time.Second)
	for fault(t, srv, hang).Fired == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the reboot fault never fired: %+v", fault(t, srv, hang))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := state(t, srv, id); st != "Rebooting" {
		t.Fatalf("while the reboot hangs the instance should be Rebooting, is %s", st)
	}
	// The hung reboot holds the instance: another reboot and a snapshot are refused with 226610.
	if code := ocstest.Code(reboot(cs, id)); code != ocstest.InstanceOperationInProgress {
		t.Fatalf("a second reboot: RetCode %d, want 226610", code)
	}
	if err := srv.Snapshot("during-a-hang"); ocstest.Code(err) != ocstest.InstanceOperationInProgress {
		t.Fatalf("a snapshot while the reboot hangs: %v, want RetCode 226610", err)
	}
	if h := fault(t, srv, hard); h.Fired != 0 {
		t.Fatalf("the hard reboot ran before the soft timeout: %+v", h)
	}

	_, err = srv.Advance(61)
	must(t, err)
	waitState(t, srv, id, "Running")
	if f := fault(t, srv, hang); f.Fired != 1 || f.Remaining != 0 || f.Times != 1 {
		t.Fatalf("the hang fault should have fired once: %+v", f)
	}
	if h := fault(t, srv, hard); h.Fired != 1 {
		t.Fatalf("the reboot should have fallen back to a hard reboot once: %+v", h)
	}
}

// While an operation holds an instance, a state-changing call answers 226610
// (InstanceOperationInProgress): retry it until the instance is free.
func TestRetryOnOperationInProgress(t *testing.T) {
	t.Parallel()
	srv := ocstest.Start(t)
	cs := srv.CompShare()
	id := createRunning(t, srv, "busy")
	_, err := srv.Fault(ocstest.FaultSpec{Method: "reboot", Mode: "slow", DelayMs: 1500, UHostID: id})
	must(t, err)
	must(t, reboot(cs, id))

	refused := 0
	deadline := time.Now().Add(30 * time.Second)
	for {
		err = stop(cs, id)
		if ocstest.Code(err) != ocstest.InstanceOperationInProgress || time.Now().After(deadline) {
			break
		}
		refused++
		time.Sleep(100 * time.Millisecond)
	}
	must(t, err)
	if refused == 0 {
		t.Fatal("the stop was never refused with 226610 while the slow reboot held the instance")
	}
	waitState(t, srv, id, "Stopped")
}

// AdvanceCompShareClock moves the server's clock; DescribeCompShareClock reports it; it never goes back.
func TestAdvanceClock(t *testing.T) {
	t.Parallel()
	srv := ocstest.Start(t)
	before, err := srv.Clock()
	must(t, err)
	if before.OffsetSeconds != 0 {
		t.Fatalf("a fresh server's clock is ahead by %v s", before.OffsetSeconds)
	}
	if now := time.Now().Unix(); before.Time < now-5 || before.Time > now+5 || before.TimeMs/1000 != before.Time {
		t.Fatalf("a fresh server's clock: %+v, real time %d", before, now)
	}

	advanced, err := srv.Advance(3600.5)
	must(t, err)
	after, err := srv.Clock()
	must(t, err)
	if math.Abs(after.OffsetSeconds-3600.5) > 0.01 || math.Abs(advanced.OffsetSeconds-3600.5) > 0.01 {
		t.Fatalf("offset after Advance(3600.5): Advance answered %v, DescribeCompShareClock %v", advanced.OffsetSeconds, after.OffsetSeconds)
	}
	if after.TimeMs < before.TimeMs+3600500 || after.TimeMs > before.TimeMs+3600500+60000 || advanced.TimeMs > after.TimeMs {
		t.Fatalf("times: before %d, Advance answered %d, after %d", before.TimeMs, advanced.TimeMs, after.TimeMs)
	}
	// The same answer over the raw generic request.
	raw, err := srv.Invoke("DescribeCompShareClock", nil)
	must(t, err)
	if off, _ := raw["OffsetSeconds"].(float64); math.Abs(off-3600.5) > 0.01 {
		t.Fatalf("DescribeCompShareClock: %v", raw)
	}

	for _, seconds := range []float64{0, -60} {
		if _, err := srv.Advance(seconds); ocstest.Code(err) <= 0 {
			t.Fatalf("Advance(%v) should be refused with a RetCode: %v", seconds, err)
		}
	}
	if again, err := srv.Clock(); err != nil || math.Abs(again.OffsetSeconds-3600.5) > 0.01 {
		t.Fatalf("the refused advances moved the clock: %+v %v", again, err)
	}
}
