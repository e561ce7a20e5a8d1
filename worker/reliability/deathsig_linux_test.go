package reliability

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes a child die with the test process, so an interrupted run
// leaves no worker or server behind.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
