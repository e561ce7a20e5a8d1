package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/worker/connect"
	"github.com/paycancel/paycancel/worker/logging"
	"github.com/paycancel/paycancel/workflows/contract"
)

// Options are the worker's settings. Each flag falls back to an environment
// variable; the Temporal connection also honours Temporal's standard client
// configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
// TEMPORAL_TLS_*, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE), which flags override.
type Options struct {
	Connection connect.Options
	// TaskQueue to poll. Default "paycancel" (PAYCANCEL_TASK_QUEUE).
	TaskQueue string
	// ConfigPath is the configuration file (PAYCANCEL_CONFIG). Required without --dev.
	ConfigPath string
	// LogLevel: debug, info, warn, error (PAYCANCEL_LOG_LEVEL). Default info.
	LogLevel string
	// LogFormat: json or console (PAYCANCEL_LOG_FORMAT). Default json; console
	// with --dev.
	LogFormat string
	// LogFile receives the log instead of stderr (PAYCANCEL_LOG_FILE); empty:
	// stderr. With --dev it defaults to <DataDir>/worker.log, so the terminal
	// shows only the banner and the demo ("-" keeps stderr).
	LogFile string
	// HTTPAddr serves provider callbacks, /healthz and /readyz (PAYCANCEL_HTTP_ADDR).
	// Default 127.0.0.1:8080.
	HTTPAddr string
	// DataDir holds --dev state: the SQLite file, generated keys, the dev
	// configuration (PAYCANCEL_DATA_DIR). Default ./.paycancel.
	DataDir string
	// Tracing turns on OpenTelemetry tracing through the SDK interceptor, exported
	// over OTLP to the endpoint in OTEL_EXPORTER_OTLP_ENDPOINT (PAYCANCEL_OTEL_TRACING=1).
	Tracing bool
	// Demo (with --dev) runs the demo across all five providers once the worker is
	// up and prints its table; the worker keeps running afterwards.
	Demo bool
	// OnReady, when set, runs once the worker polls (main uses it for --demo).
	OnReady func(ctx context.Context, c client.Client, r Ready) `json:"-"`
	// Dev embeds a Temporal server, the Web UI and the provider sandboxes.
	Dev bool
	// DevFrontendPort and DevUIPort are the embedded server's ports (7233, 8233).
	DevFrontendPort int
	DevUIPort       int
	// DevReconcileEvery is the interval of the reconciliation schedule --dev
	// creates (0: none). Default 5m.
	DevReconcileEvery time.Duration
	// SandboxAddr is where --dev serves the provider sandboxes. Default 127.0.0.1:8299.
	SandboxAddr string
}

// UsageError is a bad command line; main prints it and exits with status 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// ParseFlags reads the command line, with environment fallbacks from getenv.
func ParseFlags(args []string, getenv func(string) string, stderr io.Writer) (Options, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	def := func(key, fallback string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return fallback
	}
	var o Options
	fs := pflag.NewFlagSet("worker", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	connect.AddFlags(fs, &o.Connection)
	fs.StringVar(&o.TaskQueue, "task-queue", def("PAYCANCEL_TASK_QUEUE", contract.DefaultTaskQueue), "task queue to poll (env PAYCANCEL_TASK_QUEUE)")
	fs.StringVar(&o.ConfigPath, "config", def("PAYCANCEL_CONFIG", ""), "configuration file (env PAYCANCEL_CONFIG); see paycancel.example.yaml")
	fs.StringVar(&o.LogLevel, "log-level", def("PAYCANCEL_LOG_LEVEL", "info"), "debug, info, warn or error (env PAYCANCEL_LOG_LEVEL)")
	fs.StringVar(&o.LogFormat, "log-format", def("PAYCANCEL_LOG_FORMAT", ""), "json or console (env PAYCANCEL_LOG_FORMAT; default json, console with --dev)")
	fs.StringVar(&o.LogFile, "log-file", def("PAYCANCEL_LOG_FILE", ""), "write logs to this file instead of stderr (env PAYCANCEL_LOG_FILE; --dev default <data-dir>/worker.log, \"-\" for stderr)")
	fs.StringVar(&o.HTTPAddr, "http-addr", def("PAYCANCEL_HTTP_ADDR", "127.0.0.1:8080"), "listen address for provider callbacks and health (env PAYCANCEL_HTTP_ADDR)")
	fs.StringVar(&o.DataDir, "data-dir", def("PAYCANCEL_DATA_DIR", ".paycancel"), "state of --dev: SQLite file, generated keys, dev config (env PAYCANCEL_DATA_DIR)")
	fs.BoolVar(&o.Tracing, "otel-tracing", def("PAYCANCEL_OTEL_TRACING", "") == "1", "OpenTelemetry tracing over OTLP (endpoint from OTEL_EXPORTER_OTLP_ENDPOINT); off by default")
	fs.BoolVar(&o.Dev, "dev", false, "embed a Temporal server (SQLite file in --data-dir), the Web UI and the provider sandboxes")
	fs.BoolVar(&o.Demo, "demo", false, "with --dev: run the demo across all five providers once the worker is up")
	o.DevFrontendPort, o.DevUIPort = 7233, 8233
	fs.Var((*portValue)(&o.DevFrontendPort), "dev-port", "--dev: Temporal frontend port")
	fs.Var((*portValue)(&o.DevUIPort), "dev-ui-port", "--dev: Web UI port (0 disables the UI)")
	fs.DurationVar(&o.DevReconcileEvery, "dev-reconcile-every", 5*time.Minute, "--dev: interval of the reconciliation schedule (0: none)")
	fs.StringVar(&o.SandboxAddr, "sandbox-addr", def("PAYCANCEL_SANDBOX_ADDR", "127.0.0.1:8299"), "--dev: listen address of the provider sandboxes")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: worker [flags]\n\nRuns paycancel's Temporal worker. With --dev it also runs a Temporal server,\nthe Web UI and the provider sandboxes in the same process.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return o, err
		}
		return o, &UsageError{err}
	}
	if fs.NArg() > 0 {
		return o, &UsageError{fmt.Errorf("unexpected argument %q (the worker takes flags only)", fs.Arg(0))}
	}
	// A value that came from the environment is named by its variable, so the
	// message points at what to fix.
	src := func(flag, env string) string {
		if !fs.Changed(flag) && getenv(env) != "" {
			return env
		}
		return "--" + flag
	}
	var problems []string
	if !o.Dev && o.ConfigPath == "" {
		problems = append(problems, "--config is required (or PAYCANCEL_CONFIG), unless --dev")
	}
	if o.Demo && !o.Dev {
		problems = append(problems, "--demo needs --dev (it runs against the embedded sandboxes)")
	}
	if strings.TrimSpace(o.TaskQueue) == "" {
		problems = append(problems, src("task-queue", "PAYCANCEL_TASK_QUEUE")+" must not be empty")
	}
	switch strings.ToLower(o.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Sprintf("%s %q: want debug, info, warn or error", src("log-level", "PAYCANCEL_LOG_LEVEL"), o.LogLevel))
	}
	if err := logging.CheckFormat(o.LogFormat); err != nil {
		problems = append(problems, fmt.Sprintf("%s %q: want json or console", src("log-format", "PAYCANCEL_LOG_FORMAT"), o.LogFormat))
	}
	if err := checkHostPort(o.HTTPAddr); err != nil {
		problems = append(problems, fmt.Sprintf("%s %q: %v", src("http-addr", "PAYCANCEL_HTTP_ADDR"), o.HTTPAddr, err))
	}
	if a := o.Connection.Address; a != "" && !strings.Contains(a, "://") {
		if err := checkHostPort(a); err != nil {
			problems = append(problems, fmt.Sprintf("--address %q: %v", a, err))
		}
	}
	if o.Dev {
		if o.DevFrontendPort == 0 {
			problems = append(problems, "--dev-port must not be 0")
		}
		if o.DevUIPort != 0 && o.DevUIPort == o.DevFrontendPort {
			problems = append(problems, fmt.Sprintf("--dev-ui-port %d is the same as --dev-port", o.DevUIPort))
		}
		if err := checkHostPort(o.SandboxAddr); err != nil {
			problems = append(problems, fmt.Sprintf("%s %q: %v", src("sandbox-addr", "PAYCANCEL_SANDBOX_ADDR"), o.SandboxAddr, err))
		}
		if strings.TrimSpace(o.DataDir) == "" {
			problems = append(problems, src("data-dir", "PAYCANCEL_DATA_DIR")+" must not be empty with --dev")
		}
	}
	if len(problems) > 0 {
		return o, &UsageError{errors.New(strings.Join(problems, "; "))}
	}
	// --dev is for people at a terminal: logs go to a file in the data dir, in
	// the human format, and stdout keeps the banner and the demo's table.
	if o.LogFormat == "" {
		o.LogFormat = logging.FormatJSON
		if o.Dev {
			o.LogFormat = logging.FormatConsole
		}
	}
	if o.LogFile == "" && o.Dev {
		o.LogFile = filepath.Join(o.DataDir, "worker.log")
	}
	if o.LogFile == "-" {
		o.LogFile = ""
	}
	return o, nil
}

// portValue is an int flag that accepts only a TCP port number (0–65535), so a bad
// value is refused by the flag parser with a message that says what is wanted.
type portValue int

func (p *portValue) String() string { return strconv.Itoa(int(*p)) }
func (p *portValue) Type() string   { return "port" }
func (p *portValue) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > 65535 {
		return errors.New("want a port number between 0 and 65535")
	}
	*p = portValue(v)
	return nil
}

// checkHostPort accepts "host:port" and ":port" with a numeric port.
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("want host:port, e.g. 127.0.0.1:8080")
	}
	if v, err := strconv.Atoi(port); err != nil || v < 0 || v > 65535 {
		return fmt.Errorf("port %q is not a number between 0 and 65535", port)
	}
	return nil
}
