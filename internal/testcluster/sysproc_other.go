//go:build !unix

package testcluster

import (
	"os/exec"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

func terminate(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

func kill(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

// processAlive cannot tell here, so stale cluster directories are kept.
func processAlive(int) bool { return true }
