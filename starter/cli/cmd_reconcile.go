package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/workflows/contract"
)

func init() {
	Register(&Command{
		Name:    "reconcile",
		Summary: "schedule reconciliation, run it once, or read its latest report",
		Usage:   "schedule|run|report [flags]",
		Help: `Reconciliation (ReconcileWorkflow) re-checks cancels stuck in flight (it signals
them; it never cancels itself) and re-verifies recently finished cancels against
the provider, reopening disagreeing ones for review.

  schedule  create or update the Temporal Schedule "paycancel-reconcile"
            (idempotent; overlap policy skip) with --every and the thresholds
  run       run one reconciliation now and print its report
  report    print the report of the latest completed run

Examples:
  starter reconcile schedule --every 10m --stuck-after 30m --verify-within 24h
  starter reconcile report --json`,
		Setup: func(fs *pflag.FlagSet) Action {
			var (
				every  time.Duration
				paused bool
				req    contract.ReconcileRequest
				sub    string
			)
			fs.DurationVar(&every, "every", 10*time.Minute, "schedule: interval between runs")
			fs.BoolVar(&paused, "paused", false, "schedule: create or leave it paused")
			fs.DurationVar(&req.StuckAfter, "stuck-after", 30*time.Minute, "a cancel in flight this long after its start is re-checked")
			fs.DurationVar(&req.VerifyWithin, "verify-within", 24*time.Hour, "cancels finished CANCELLED this recently are re-verified")
			fs.IntVar(&req.MaxPerRun, "max-per-run", 500, "most cancels one run touches before continuing as new")
			fs.DurationVar(&req.QueryInterval, "query-interval", 200*time.Millisecond, "pause between provider queries (rate limit)")
			return Action{
				Check: func(args []string) error {
					if len(args) != 1 {
						return errors.New("say what to do: reconcile schedule, reconcile run or reconcile report")
					}
					sub = args[0]
					var p problems
					p.oneOf("reconcile action", sub, []string{"schedule", "run", "report"})
					if every < time.Second {
						p.add("--every %s: at least 1s", every)
					}
					if req.StuckAfter <= 0 || req.VerifyWithin <= 0 || req.QueryInterval <= 0 {
						p.add("--stuck-after, --verify-within and --query-interval must be positive")
					}
					if req.MaxPerRun < 1 || req.MaxPerRun > 100000 {
						p.add("--max-per-run %d is not between 1 and 100000", req.MaxPerRun)
					}
					return p.err()
				},
				Run: func(ctx context.Context, e *Env) error {
					tc := e.API.Temporal()
					switch sub {
					case "schedule":
						err := contract.EnsureReconcileSchedule(ctx, tc, contract.ReconcileSchedule{Every: every, TaskQueue: e.API.TaskQueue(), Request: req, Paused: paused})
						if err != nil {
							return err
						}
						fmt.Fprintf(e.Stderr, "schedule %s: every %s (overlap: skip)\n", contract.ReconcileScheduleID, every)
						return nil
					case "run":
						ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
						defer cancel()
						run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
							ID:        fmt.Sprintf("%s-manual-%d", contract.ReconcileScheduleID, time.Now().Unix()),
							TaskQueue: e.API.TaskQueue(),
						}, contract.ReconcileWorkflowName, req)
						if err != nil {
							return err
						}
						var rep contract.ReconcileReport
						if err := run.Get(ctx, &rep); err != nil {
							return fmt.Errorf("reconciliation %s: %w", run.GetID(), err)
						}
						return printReport(e, run.GetID(), rep)
					default:
						ctx, cancel := context.WithTimeout(ctx, callTimeout)
						defer cancel()
						resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
							Query:    fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Completed'", contract.ReconcileWorkflowName),
							PageSize: 20,
						})
						if err != nil {
							return err
						}
						execs := resp.GetExecutions()
						if len(execs) == 0 {
							return fmt.Errorf("%w: no reconciliation has completed yet (starter reconcile run, or schedule one)", paycancel.ErrNotFound)
						}
						sort.Slice(execs, func(i, j int) bool { return execs[i].GetCloseTime().AsTime().After(execs[j].GetCloseTime().AsTime()) })
						last := execs[0].GetExecution()
						var rep contract.ReconcileReport
						if err := tc.GetWorkflow(ctx, last.GetWorkflowId(), last.GetRunId()).Get(ctx, &rep); err != nil {
							return err
						}
						return printReport(e, last.GetWorkflowId(), rep)
					}
				},
			}
		},
	})
}

func printReport(e *Env, id string, rep contract.ReconcileReport) error {
	if e.JSON {
		return writeJSON(e.Stdout, struct {
			WorkflowID string `json:"workflowId"`
			contract.ReconcileReport
		}{id, rep})
	}
	fmt.Fprintf(e.Stdout, "reconciliation %s as of %s (%d run(s))\n", id, fmtTime(rep.AsOf), rep.Runs)
	fmt.Fprintf(e.Stdout, "re-checked %d stuck, verified %d finished, %d disagreeing, %d skipped\n\n",
		len(rep.Stuck), rep.Verified, len(rep.Disagreements), rep.Skipped)
	tw := newTable(e.Stdout)
	row(tw, "PROVIDER", "STATE", "CANCELS")
	providers := make([]string, 0, len(rep.Counts))
	for p := range rep.Counts {
		providers = append(providers, p)
	}
	sort.Strings(providers)
	for _, p := range providers {
		states := make([]string, 0, len(rep.Counts[p]))
		for s := range rep.Counts[p] {
			states = append(states, s)
		}
		sort.Strings(states)
		for _, s := range states {
			row(tw, p, s, fmt.Sprint(rep.Counts[p][s]))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.Stuck) > 0 {
		fmt.Fprintln(e.Stdout, "\nstuck, signalled to re-check:")
		for _, c := range rep.Stuck {
			fmt.Fprintf(e.Stdout, "  %s (%s)\n", c.WorkflowID, c.State)
		}
	}
	if len(rep.Disagreements) > 0 {
		fmt.Fprintln(e.Stdout, "\nprovider disagrees, reopened for review:")
		for _, d := range rep.Disagreements {
			fmt.Fprintf(e.Stdout, "  %s: cancelled here, %s at the provider\n", d.Cancel.WorkflowID, d.PaymentState)
		}
	}
	return nil
}
