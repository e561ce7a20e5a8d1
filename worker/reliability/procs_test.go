package reliability

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// buildWorker builds ./worker into a stable folder in the user's cache (with
// -buildvcs=false an unchanged binary is not linked again: a link takes half a
// minute or more on a loaded machine), under a lock so that concurrent runs of the
// suite build one at a time, and links it into the run folder, so a later rebuild
// cannot change the binary under a running worker. The Temporal server process is
// this test binary run again in the devserver role (TestMain), which runs
// cmd/devserver's code (internal/devproc) and saves linking a second binary of
// that size.
func buildWorker(runDir string, logf func(string, ...any)) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	wd, _ := os.Getwd()
	dir := filepath.Join(cache, "paycancel-reliability", fmt.Sprintf("%x", fnv(wd)))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	unlock, err := lockFile(filepath.Join(dir, "build.lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	start := time.Now()
	bin := filepath.Join(dir, "worker"+exe)
	out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "github.com/paycancel/paycancel/worker").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ./worker: %v\n%s", err, out)
	}
	own := filepath.Join(runDir, "worker"+exe)
	if err := os.Link(bin, own); err != nil {
		if err := copyFile(bin, own); err != nil {
			return "", err
		}
	}
	logf("built ./worker in %s (%s)", time.Since(start).Round(100*time.Millisecond), bin)
	return own, nil
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o755)
}

func fnv(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// proc is one supervised OS process (a worker slot or the Temporal server). Every
// start writes its stdout and stderr to a log file of its own.
type proc struct {
	name    string
	bin     string
	args    []string
	logDir  string
	env     []string
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string
	killed  bool // the current incarnation was SIGKILLed by the harness

	starts     atomic.Int64
	kills      atomic.Int64
	selfExits  atomic.Int64 // exits nobody asked for (e.g. Temporal down at start)
	lastStatus atomic.Value // string
}

func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.starts.Add(1)
	p.logPath = filepath.Join(p.logDir, fmt.Sprintf("%s-%03d.log", p.name, n))
	f, err := os.Create(p.logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), p.env...)
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		f.Close()
		return err
	}
	exited := make(chan struct{})
	p.cmd, p.exited, p.killed = cmd, exited, false
	go func() {
		err := cmd.Wait()
		f.Close()
		status := "exit 0"
		if err != nil {
			status = err.Error()
		}
		p.lastStatus.Store(status)
		close(exited)
	}()
	return nil
}

// current returns the running incarnation's exit channel and log path.
func (p *proc) current() (chan struct{}, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited, p.logPath
}

// kill SIGKILLs the current incarnation (by its pid, a child of this process) and
// waits for it to be gone. It reports whether there was one to kill.
func (p *proc) kill() bool {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	if cmd == nil || exited == nil {
		p.mu.Unlock()
		return false
	}
	select {
	case <-exited:
		p.mu.Unlock()
		return false
	default:
	}
	p.killed = true
	p.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	p.kills.Add(1)
	return true
}

// wasKilled reports whether the last incarnation ended by the harness's SIGKILL.
func (p *proc) wasKilled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.killed
}

// stop asks the current incarnation to shut down (SIGTERM), then kills it after grace.
func (p *proc) stop(grace time.Duration) {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(grace):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	}
}

// waitForLine waits until the current incarnation's log holds a line starting
// with prefix; it fails early when the process exits.
func (p *proc) waitForLine(ctx context.Context, prefix string) (string, error) {
	exited, path := p.current()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if line, ok := findLine(path, prefix); ok {
			return line, nil
		}
		select {
		case <-exited:
			if line, ok := findLine(path, prefix); ok {
				return line, nil
			}
			tail, _ := os.ReadFile(path)
			return "", fmt.Errorf("%s exited (%v) before %q:\n%s", p.name, p.lastStatus.Load(), prefix, lastLines(string(tail), 15))
		case <-ctx.Done():
			return "", fmt.Errorf("%s: no %q line: %w", p.name, prefix, ctx.Err())
		case <-tick.C:
		}
	}
}

func findLine(path, prefix string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			return sc.Text(), true
		}
	}
	return "", false
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitHTTP waits until url answers 200.
func waitHTTP(ctx context.Context, url string) error {
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = errors.New("not ready")
			}
			return fmt.Errorf("%s: %v (%w)", url, err, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
