// Package prodprofile runs paycancel's production profile (run.sh): PostgreSQL, a
// real Temporal server on it with the schema set up by Temporal's own SQL tool, the
// worker without --dev, `starter demo` through it and the end-to-end tests against
// that server. The test is opt-in: it installs PostgreSQL when missing (apt-get,
// root) and takes minutes.
//
//	PAYCANCEL_PROD_PROFILE=1 go test ./worker/prodprofile/ -v -timeout 30m
package prodprofile

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestProductionProfile(t *testing.T) {
	if os.Getenv("PAYCANCEL_PROD_PROFILE") != "1" {
		t.Skip("set PAYCANCEL_PROD_PROFILE=1 to run the production profile (PostgreSQL + Temporal server; minutes)")
	}
	script, err := filepath.Abs("run.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script)
	// Its own process group, so a test timeout can stop the script and everything
	// it started with one signal; the script's trap then cleans up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Before the test binary's own deadline: SIGTERM the group, give the trap time.
	if deadline, ok := t.Deadline(); ok {
		stop := time.AfterFunc(time.Until(deadline)-90*time.Second, func() {
			t.Log("test deadline near: stopping the production profile")
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		})
		defer stop.Stop()
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		t.Log(sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run.sh: %v (its output is above)", err)
	}
}
