//go:build !linux

package ocstest

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
