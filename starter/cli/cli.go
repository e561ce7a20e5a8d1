// Package cli is the starter command line: how order services and operators drive
// paycancel from a shell. Every subcommand lives in its own cmd_<name>.go file and
// registers itself with Register in an init function; Main dispatches on the
// table. Commands reuse the worker's Temporal connection flags and environment
// (worker/connect.AddFlags, connect.Dial: --address, --namespace, --profile,
// TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*,
// TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE) plus --task-queue (PAYCANCEL_TASK_QUEUE),
// and print a human table or, with --json, one JSON document on stdout. Messages
// and errors go to stderr.
//
// Exit status:
//
//	0  done (for start --wait: the cancel settled in CANCELLED, NOT_NEEDED,
//	   RESOLVED_CANCELLED, RESOLVED_NOT_NEEDED or RESOLVED_REFUNDED: the order
//	   must not be fulfilled and no money is held)
//	1  runtime error: Temporal unreachable, a timeout, a sandbox error…
//	2  bad usage or invalid input: unknown command or flag, a missing or malformed
//	   flag (the message names it), checked before connecting; or an ambiguous
//	   address (a cancel started before merchant-scoped ids whose history does
//	   not say whose it is: add --credential)
//	3  not found: there is no cancel for this merchant, provider and order
//	4  finished with an outcome other than expected: start --wait settled in PAID,
//	   PAID_AT_CANCEL, RESOLVED_PAID or NEEDS_REVIEW (look at the state: fulfil,
//	   refund or have an operator resolve it); demo: a scenario did not reach its
//	   expected state
//	5  refused by the cancel's state: start of an order whose cancel already
//	   finished (its outcome is printed), start with a request that differs from
//	   the existing cancel's (the differing fields are printed), resolve of a
//	   cancel not in NEEDS_REVIEW, resend of one not NOTIFY_EXHAUSTED (the
//	   workflow's message is printed)
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/worker/connect"
	"github.com/paycancel/paycancel/worker/logging"
	"github.com/paycancel/paycancel/workflows/contract"
)

// Exit codes (see the package documentation).
const (
	ExitOK         = 0
	ExitError      = 1
	ExitUsage      = 2
	ExitNotFound   = 3
	ExitUnexpected = 4
	ExitRefused    = 5
)

// Prog is the program name used in messages.
const Prog = "starter"

// Command is one subcommand.
type Command struct {
	// Name is what the user types: "start", "list".
	Name string
	// Summary is the one line shown in the command list.
	Summary string
	// Usage follows "starter <name> " in the help's first line.
	Usage string
	// Help is printed after the usage line (what the command does, examples).
	Help string
	// Setup declares the command's own flags on fs and returns its action. The
	// connection flags, --task-queue and --json are added by Main.
	Setup func(fs *pflag.FlagSet) Action
	// Offline commands do not connect to Temporal (Run gets a nil Env.API).
	Offline bool
}

// Action is a parsed command, ready to check and run.
type Action struct {
	// Check validates the flags and arguments without any I/O. Its error is a
	// usage error (exit 2). Main connects only after Check passes.
	Check func(args []string) error
	// Run does the work.
	Run func(ctx context.Context, e *Env) error
	// Timeout bounds Run (0: only the caller's context does). Commands that make a
	// few calls to Temporal use callTimeout.
	Timeout time.Duration
}

// callTimeout bounds a command that makes a few calls to Temporal.
const callTimeout = 30 * time.Second

// showStatus prints the status a call returned — one JSON document with --json,
// else a table — or returns the call's error: e.showStatus(e.API.Resolve(…)).
func (e *Env) showStatus(st contract.Status, err error) error {
	if err != nil {
		return err
	}
	if e.JSON {
		return writeJSON(e.Stdout, st)
	}
	return printStatus(e.Stdout, st)
}

var commands = map[string]*Command{}

// Register adds a command to the table Main dispatches on; each cmd_<name>.go
// calls it from init. A duplicate name is a programming error and panics at start.
func Register(c *Command) {
	if _, dup := commands[c.Name]; dup {
		panic("cli: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

// Env is what a running command uses.
type Env struct {
	Stdout, Stderr io.Writer
	// JSON is --json: one JSON document on stdout instead of a table.
	JSON bool
	// API is the paycancel client (nil for Offline commands).
	API *paycancel.Client
	// Namespace is the Temporal namespace connected to (for Web UI links).
	Namespace string
}

// deps are Main's external dependencies, replaced in tests.
type deps struct {
	getenv func(string) string
	// dial connects; it returns the client and the namespace it uses.
	dial func(ctx context.Context, c connect.Options) (client.Client, string, error)
	// pollInterval for the paycancel client (0: its default).
	pollInterval time.Duration
}

func defaultDeps() deps {
	return deps{
		getenv: os.Getenv,
		dial: func(ctx context.Context, c connect.Options) (client.Client, string, error) {
			opts, err := connect.ClientOptions(c, nil)
			if err != nil {
				return nil, "", err
			}
			z, err := logging.New("error")
			if err != nil {
				return nil, "", err
			}
			cl, err := connect.Dial(ctx, c, logging.NewTemporal(z))
			return cl, opts.Namespace, err
		},
	}
}

// Main runs the starter with args (without the program name) and returns the exit
// status. It never panics on bad input.
func Main(args []string, stdout, stderr io.Writer) int {
	return run(args, stdout, stderr, defaultDeps())
}

func run(args []string, stdout, stderr io.Writer, d deps) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "%s: internal error: %v\n", Prog, r)
			code = ExitError
		}
	}()
	if len(args) == 0 {
		usage(stderr)
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "-h", "--help", "help":
		if name == "help" && len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fs, _ := newFlagSet(c, d)
				commandUsage(stdout, c, fs)
				return ExitOK
			}
			fmt.Fprintf(stderr, "%s: unknown command %q\n", Prog, args[1])
			return ExitUsage
		}
		usage(stdout)
		return ExitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "%s: unknown command %q; commands: %s\nRun '%s --help' for usage.\n",
			Prog, name, strings.Join(commandNames(), ", "), Prog)
		return ExitUsage
	}
	fs, g := newFlagSet(c, d)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			commandUsage(stdout, c, fs)
			return ExitOK
		}
		return usageErr(stderr, c, err)
	}
	if err := g.check(fs.Args()); err != nil {
		return usageErr(stderr, c, err)
	}
	env := &Env{Stdout: stdout, Stderr: stderr, JSON: g.json}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	if !c.Offline {
		dctx, cancel := context.WithTimeout(ctx, g.dialTimeout)
		tc, ns, err := d.dial(dctx, g.conn)
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "%s %s: %v\n", Prog, c.Name, err)
			return ExitError
		}
		defer tc.Close()
		env.API = paycancel.New(tc, paycancel.Options{TaskQueue: g.taskQueue, PollInterval: d.pollInterval})
		env.Namespace = ns
	}
	if g.action.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.action.Timeout)
		defer cancel()
	}
	return report(stderr, c, g.action.Run(ctx, env))
}

// global are the flags every command has, and the command's action.
type global struct {
	conn        connect.Options
	taskQueue   string
	json        bool
	dialTimeout time.Duration
	action      Action
}

func (g *global) check(args []string) error {
	if strings.TrimSpace(g.taskQueue) == "" {
		return errors.New("--task-queue must not be empty")
	}
	if g.dialTimeout <= 0 {
		return errors.New("--connect-timeout must be positive")
	}
	if g.action.Check != nil {
		return g.action.Check(args)
	}
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q (this command takes flags only)", args[0])
	}
	return nil
}

func newFlagSet(c *Command, d deps) (*pflag.FlagSet, *global) {
	g := &global{}
	fs := pflag.NewFlagSet(Prog+" "+c.Name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.SortFlags = false
	g.action = c.Setup(fs)
	fs.BoolVar(&g.json, "json", false, "print one JSON document instead of a table")
	if !c.Offline {
		connect.AddFlags(fs, &g.conn)
		tq := contract.DefaultTaskQueue
		if v := d.getenv("PAYCANCEL_TASK_QUEUE"); v != "" {
			tq = v
		}
		fs.StringVar(&g.taskQueue, "task-queue", tq, "task queue the worker polls (env PAYCANCEL_TASK_QUEUE)")
		fs.DurationVar(&g.dialTimeout, "connect-timeout", 10*time.Second, "give up connecting to Temporal after this long")
	} else {
		g.taskQueue, g.dialTimeout = "-", time.Second
	}
	return fs, g
}

func usageErr(stderr io.Writer, c *Command, err error) int {
	fmt.Fprintf(stderr, "%s %s: %v\nRun '%s %s --help' for usage.\n", Prog, c.Name, err, Prog, c.Name)
	return ExitUsage
}

// outcomeError is a command that finished with an outcome other than expected (exit 4).
type outcomeError struct{ msg string }

func (e *outcomeError) Error() string { return e.msg }

// report prints err and maps it to the exit status.
func report(stderr io.Writer, c *Command, err error) int {
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "%s %s: %v\n", Prog, c.Name, err)
	var oe *outcomeError
	switch {
	case errors.As(err, &oe):
		return ExitUnexpected
	case errors.Is(err, paycancel.ErrInvalidRequest), errors.Is(err, paycancel.ErrAmbiguous):
		return ExitUsage
	case errors.Is(err, paycancel.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, paycancel.ErrAlreadyFinished), errors.Is(err, paycancel.ErrRejected),
		errors.Is(err, paycancel.ErrConflictingRequest):
		return ExitRefused
	}
	return ExitError
}

func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s <command> [flags]\n\n", Prog)
	fmt.Fprintln(w, "Starts and drives paycancel's payment cancels (Temporal workflows).")
	fmt.Fprintln(w, "\nCommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %-15s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintf(w, `
Every command takes the worker's connection flags (--address, --namespace,
--profile; env TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
TEMPORAL_TLS_*, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE), --task-queue
(env PAYCANCEL_TASK_QUEUE) and --json.

Exit status: 0 ok, 1 runtime error, 2 bad usage or input (or an ambiguous
address), 3 no such cancel, 4 outcome other than expected, 5 refused by the
cancel's state or a start that conflicts with the existing cancel.
Run '%s <command> --help' for a command's flags.
`, Prog)
}

func commandUsage(w io.Writer, c *Command, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s %s %s\n\n%s\n\nFlags:\n%s", Prog, c.Name, c.Usage, strings.TrimSpace(c.Help), fs.FlagUsages())
}
