//go:build unix && !linux

package testcluster

import (
	"errors"
	"os/exec"
	"syscall"
)

// sysProcAttr puts the child in its own process group, so that Stop reaches
// anything it spawns. Outside Linux there is no parent-death signal: a test
// binary that dies without calling Stop leaves the children running.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func terminate(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }

func kill(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }

// processAlive reports whether a process with this id exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
