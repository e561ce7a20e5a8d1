package benchrun

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"go.temporal.io/server/common/dynamicconfig"

	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/devserver"
)

// The bench runs its parts as processes of their own — this binary re-executed
// with a spec in an environment variable — so each one's CPU time and memory can
// be read from /proc apart from the others': the embedded Temporal server, and
// the worker. The bench process itself keeps the starter, the sandboxes and the
// merchant receiver.
const (
	workerEnv = "PAYCANCEL_BENCH_WORKER_SPEC"
	serverEnv = "PAYCANCEL_BENCH_SERVER_SPEC"
)

// IsChild reports whether this process was started as one of the bench's parts.
func IsChild() bool { return os.Getenv(workerEnv) != "" || os.Getenv(serverEnv) != "" }

// RunChild is a child process: the worker or the embedded server, per its
// environment. It runs until stdin closes (the bench exited or stopped it) or
// SIGTERM.
func RunChild(stderr io.Writer) int {
	if os.Getenv(serverEnv) != "" {
		return runServerChild(stderr)
	}
	return runWorkerChild(stderr)
}

// runChild is the frame of a child process: it decodes the child's spec S from
// the environment variable env (exit code 2 when it does not decode) and runs
// run with a context that is done on SIGINT/SIGTERM or when the parent closes
// stdin; run's result is the exit code.
func runChild[S any](env, who string, stderr io.Writer, run func(ctx context.Context, spec S) int) int {
	var spec S
	if err := json.Unmarshal([]byte(os.Getenv(env)), &spec); err != nil {
		fmt.Fprintln(stderr, who+": bad spec:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin) // returns when the parent closes stdin or dies
		stop()
	}()
	return run(ctx, spec)
}

// child is a running child process.
type child struct {
	name   string
	cmd    *exec.Cmd
	stderr *gatedWriter
	stdin  io.WriteCloser
	done   chan error
	ready  []string // the fields after READY
}

// startChildProcess re-executes this binary with env=spec and waits for its
// "READY ..." line on stdout, which must carry fields values.
func startChildProcess(ctx context.Context, name, env string, spec any, stderr io.Writer, limit time.Duration, fields int) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), env+"="+string(b))
	gate := &gatedWriter{w: stderr}
	cmd.Stderr = gate
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{name: name, cmd: cmd, stderr: gate, stdin: stdin, done: make(chan error, 1)}
	ready := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				select {
				case ready <- strings.Fields(rest):
				default:
				}
			}
		}
	}()
	go func() { c.done <- cmd.Wait() }()
	select {
	case c.ready = <-ready:
		if len(c.ready) != fields {
			c.stop(10 * time.Second)
			return nil, fmt.Errorf("%s process: unexpected ready line %q", name, c.ready)
		}
		return c, nil
	case err := <-c.done:
		return nil, fmt.Errorf("%s process exited before it was ready: %v", name, err)
	case <-time.After(limit):
		c.stop(5 * time.Second)
		return nil, fmt.Errorf("%s process not ready after %s", name, limit)
	case <-ctx.Done():
		c.stop(5 * time.Second)
		return nil, ctx.Err()
	}
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the child to stop (closing its stdin, then SIGTERM to it), and kills
// it after limit.
func (c *child) stop(limit time.Duration) {
	// A stopping worker's SDK warns about every poll it cuts short: not news.
	c.stderr.closed.Store(true)
	_ = c.stdin.Close()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(limit):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// gatedWriter passes writes through until closed, then drops them.
type gatedWriter struct {
	w      io.Writer
	closed atomic.Bool
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	if g.closed.Load() {
		return len(p), nil
	}
	return g.w.Write(p)
}

// serverSpec configures the embedded server process.
type serverSpec struct {
	DataDir   string `json:"dataDir"`
	Memory    bool   `json:"memory"`
	Namespace string `json:"namespace"`
	// DynamicConfig is key=value pairs (--dc), parsed in the child.
	DynamicConfig []string `json:"dynamicConfig"`
}

// serverProc is the embedded server running in its own process.
type serverProc struct {
	*child
	hostPort   string
	metricsURL string
}

func startServer(ctx context.Context, spec serverSpec, stderr io.Writer) (*serverProc, error) {
	c, err := startChildProcess(ctx, "Temporal server", serverEnv, spec, stderr, 2*time.Minute, 2)
	if err != nil {
		return nil, err
	}
	return &serverProc{child: c, hostPort: c.ready[0], metricsURL: c.ready[1]}, nil
}

// runServerChild runs worker/devserver (SQLite, no UI) with its metrics on a free
// local port and prints "READY <frontend host:port> <metrics URL>".
func runServerChild(stderr io.Writer) int {
	return runChild(serverEnv, "bench server", stderr, func(ctx context.Context, spec serverSpec) int {
		dc := dynamicconfig.StaticClient{}
		for _, kv := range spec.DynamicConfig {
			k, v, _ := strings.Cut(kv, "=")
			dc[dynamicconfig.MakeKey(k)] = parseValue(v)
		}
		metricsAddr, err := devserver.FreeAddr("127.0.0.1")
		if err != nil {
			fmt.Fprintln(stderr, "bench server:", err)
			return 1
		}
		dev, err := devserver.Start(ctx, devserver.Options{
			DataDir: spec.DataDir, Ephemeral: spec.Memory, FrontendPort: -1, UIPort: 0, Namespace: spec.Namespace,
			SearchAttributes: app.SearchAttributes, DynamicConfig: dc, MetricsAddr: metricsAddr,
		})
		if err != nil {
			fmt.Fprintln(stderr, "bench server:", err)
			return 1
		}
		fmt.Printf("READY %s http://%s/metrics\n", dev.HostPort(), metricsAddr)
		<-ctx.Done()
		if err := dev.Stop(); err != nil {
			fmt.Fprintln(stderr, "bench server: stopping:", err)
		}
		return 0
	})
}

// opStat is one operation's count and total latency.
type opStat struct {
	Count      float64
	SumSeconds float64
}

// persistSnapshot maps "<metric>|<operation>" to its totals so far.
type persistSnapshot map[string]opStat

// Server metrics read (Prometheus histograms of the server's timers, in seconds).
const (
	promPersistence = "persistence_latency"
	promVisibility  = "visibility_persistence_latency"
	// Matching's counters of tasks handed to polls, all of them and those by sync
	// match (the task met a waiting poll instead of going through a backlog);
	// keyed by task_type instead of operation.
	promPollSuccess     = "poll_success"
	promPollSuccessSync = "poll_success_sync"
)

// scrapePersistence reads the server's persistence latency histograms (sum and
// count per operation, summed over the other labels) from its Prometheus endpoint.
func scrapePersistence(ctx context.Context, url string) (persistSnapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("server metrics %s: HTTP %d", url, resp.StatusCode)
	}
	return parsePersistence(resp.Body)
}

// parsePersistence reads Prometheus text exposition: only the _sum and _count
// series of the two persistence latency histograms, and matching's poll_success
// counters.
func parsePersistence(r io.Reader) (persistSnapshot, error) {
	s := persistSnapshot{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		if !strings.HasPrefix(line, promPersistence) && !strings.HasPrefix(line, promVisibility) && !strings.HasPrefix(line, promPollSuccess) {
			continue
		}
		name, labels, value, ok := splitSample(line)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		switch name {
		case promPollSuccess, promPollSuccess + "_total", promPollSuccessSync, promPollSuccessSync + "_total":
			key := strings.TrimSuffix(name, "_total") + "|" + labels["task_type"]
			st := s[key]
			st.Count += v
			s[key] = st
			continue
		}
		for _, metric := range []string{promPersistence, promVisibility} {
			key := metric + "|" + labels["operation"]
			st := s[key]
			switch name {
			case metric + "_sum":
				st.SumSeconds += v
			case metric + "_count":
				st.Count += v
			default:
				continue
			}
			s[key] = st
		}
	}
	return s, sc.Err()
}

// splitSample splits `name{k="v",...} value [timestamp]`.
func splitSample(line string) (name string, labels map[string]string, value string, ok bool) {
	labels = map[string]string{}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return "", nil, "", false
	}
	name, rest := line[:i], line[i:]
	if rest[0] == '{' {
		rest = rest[1:]
		for {
			rest = strings.TrimLeft(rest, " ,")
			if rest == "" {
				return "", nil, "", false
			}
			if rest[0] == '}' {
				rest = rest[1:]
				break
			}
			eq := strings.IndexByte(rest, '=')
			if eq < 0 || eq+1 >= len(rest) || rest[eq+1] != '"' {
				return "", nil, "", false
			}
			k := strings.TrimSpace(rest[:eq])
			rest = rest[eq+2:]
			var b strings.Builder
			closed := false
			for j := 0; j < len(rest); j++ {
				c := rest[j]
				if c == '\\' && j+1 < len(rest) {
					j++
					switch rest[j] {
					case 'n':
						b.WriteByte('\n')
					default:
						b.WriteByte(rest[j])
					}
					continue
				}
				if c == '"' {
					rest = rest[j+1:]
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return "", nil, "", false
			}
			labels[k] = b.String()
		}
	}
	f := strings.Fields(rest)
	if len(f) < 1 {
		return "", nil, "", false
	}
	return name, labels, f[0], true
}

// isRead tells reads from writes by the operation's name (the server's
// persistence scopes: GetWorkflowExecution, ReadHistoryBranch, ListTaskQueue…).
func isRead(op string) bool {
	for _, p := range []string{"Get", "Read", "List", "Scan", "Count", "Describe", "Assert"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// persistenceDelta turns two snapshots into a round's Persistence.
func persistenceDelta(a, b persistSnapshot, workflows int) *Persistence {
	var wOps, wSum, rOps, rSum, visOps, visSum, polls, syncPolls float64
	for k, after := range b {
		metric, op, ok := strings.Cut(k, "|")
		if !ok {
			continue
		}
		n, sum := after.Count-a[k].Count, after.SumSeconds-a[k].SumSeconds
		if n <= 0 {
			continue
		}
		switch {
		case metric == promPollSuccess:
			polls += n
		case metric == promPollSuccessSync:
			syncPolls += n
		case metric == promVisibility && isRead(op):
			// visibility reads (list, count): none of the bench's own
		case metric == promVisibility:
			visOps, visSum = visOps+n, visSum+sum
		case isRead(op):
			rOps, rSum = rOps+n, rSum+sum
		default:
			wOps, wSum = wOps+n, wSum+sum
		}
	}
	p := &Persistence{WriteOps: int64(wOps), ReadOps: int64(rOps), VisibilityWrites: int64(visOps)}
	meanMs := func(sum, n float64) float64 {
		if n == 0 {
			return 0
		}
		return round3(sum / n * 1000)
	}
	p.WriteMeanMs, p.ReadMeanMs, p.VisibilityMeanMs = meanMs(wSum, wOps), meanMs(rSum, rOps), meanMs(visSum, visOps)
	if workflows > 0 {
		p.WritesPerWf = round3(wOps / float64(workflows))
	}
	if polls > 0 {
		p.SyncMatch = ptr(round3(min(1, syncPolls/polls)))
	}
	return p
}
