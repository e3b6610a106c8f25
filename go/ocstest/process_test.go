package ocstest_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencompshare/opencompshare/go/ocstest"
)

// recordingTB is a testing.TB whose failures and cleanups the test drives itself.
type recordingTB struct {
	testing.TB
	mu       sync.Mutex
	failed   bool
	messages []string
	cleanups []func()
}

func (r *recordingTB) Helper() {}
func (r *recordingTB) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}
func (r *recordingTB) Failed() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.failed }
func (r *recordingTB) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.messages = append(r.messages, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Errorf(format string, args ...any) {
	r.Logf(format, args...)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}
func (r *recordingTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// runCleanups runs the cleanups, last first, as testing does.
func (r *recordingTB) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func (r *recordingTB) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.messages, "\n")
}

// The server stops at the end of a test that failed, and the test's log shows the server's.
func TestCleanupStopsServerOfFailedTest(t *testing.T) {
	t.Parallel()
	tb := &recordingTB{TB: t}
	srv := ocstest.Start(tb)
	if resp, err := http.Get(srv.BaseURL + "/readyz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the server is not ready after Start: %v", err)
	}
	tb.Errorf("the test fails")
	tb.runCleanups()

	if _, err := http.Get(srv.BaseURL + "/readyz"); err == nil {
		t.Fatal("the server still answers after the cleanup")
	}
	if !strings.Contains(tb.log(), "the server's log") {
		t.Fatalf("the failed test's log does not show the server's:\n%s", tb.log())
	}
	if strings.Contains(tb.log(), "the server's exit") {
		t.Fatalf("the server did not exit cleanly on SIGTERM:\n%s", tb.log())
	}
}

// A server that cannot start fails the test at once, with what it wrote.
func TestStartFailureShowsTheLog(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "ocs")
	script := "#!/bin/sh\necho 'ocs: cannot open the database: disk on fire' >&2\nexit 3\n"
	must(t, os.WriteFile(bin, []byte(script), 0o755))
	t.Setenv("OCS_BIN", bin)

	tb := &recordingTB{TB: t}
	started := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		ocstest.Start(tb)
	}()
	<-done
	tb.runCleanups()
	if !tb.Failed() || !strings.Contains(tb.log(), "disk on fire") || !strings.Contains(tb.log(), "exited before it was ready") {
		t.Fatalf("Start should fail with the server's log:\n%s", tb.log())
	}
	if elapsed := time.Since(started); elapsed > 10*time.Second {
		t.Fatalf("Start took %s to notice the server had exited", elapsed)
	}
}

// Without testing mode the test controls do not exist: RetCode 161, as an unknown action.
func TestWithoutTestingModeTheControlsAre161(t *testing.T) {
	t.Parallel()
	srv := ocstest.Start(t, ocstest.WithEnv("OCS_TESTING", "0"))
	if _, err := srv.Clock(); ocstest.Code(err) != 161 {
		t.Fatalf("DescribeCompShareClock: %v, want RetCode 161", err)
	}
	if _, err := srv.Advance(60); ocstest.Code(err) != 161 {
		t.Fatalf("AdvanceCompShareClock: %v, want RetCode 161", err)
	}
	if _, err := srv.Fault(ocstest.FaultSpec{Method: "reboot", Mode: "fail"}); ocstest.Code(err) != 161 {
		t.Fatalf("ArmCompShareFault: %v, want RetCode 161", err)
	}
	if err := srv.Reset(); ocstest.Code(err) != 161 {
		t.Fatalf("ResetCompShareState: %v, want RetCode 161", err)
	}
}
