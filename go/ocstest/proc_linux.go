package ocstest

import "syscall"

// sysProcAttr kills the server when the test binary dies without its cleanups (a panic, a
// `go test -timeout`), so no server outlives its tests.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
