package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/worker/connect"
	"github.com/paycancel/paycancel/worker/demo"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
)

// noDial fails the test if a command connects: bad input must be refused first.
func noDial(t *testing.T) deps {
	return deps{
		getenv: func(string) string { return "" },
		dial: func(context.Context, connect.Options) (client.Client, string, error) {
			t.Error("the command connected to Temporal before refusing its input")
			return nil, "", fmt.Errorf("no server in this test")
		},
	}
}

func TestBadInput(t *testing.T) {
	start := []string{"start", "--merchant", "demo", "--provider", "gnete", "--credential", "demo-gnete", "--order", "A1", "--amount", "100", "--currency", "HKD"}
	with := func(base []string, extra ...string) []string { return append(append([]string(nil), base...), extra...) }
	cases := []struct {
		name string
		args []string
		want []string // substrings of stderr
	}{
		{"no command", nil, []string{"Usage: starter <command>"}},
		{"unknown command", []string{"frobnicate"}, []string{`unknown command "frobnicate"`}},
		{"help of unknown", []string{"help", "frobnicate"}, []string{`unknown command "frobnicate"`}},
		{"unknown flag", []string{"status", "--bogus"}, []string{"unknown flag: --bogus"}},
		{"stray argument", []string{"status", "--merchant", "demo", "--provider", "gnete", "--order", "A1", "extra"}, []string{`unexpected argument "extra"`}},

		{"start: nothing", []string{"start"}, []string{"--merchant is required", "--provider is required", "--credential is required", "--order is required", "--amount is required", "--currency is required"}},
		{"start: unknown provider", with(start, "--provider", "paypal"), []string{`--provider "paypal" is not one of`}},
		{"start: bad merchant", with(start, "--merchant", "acme/eu"), []string{`--merchant "acme/eu" may hold only letters`}},
		{"start: bad amount", with(start, "--amount", "12.50"), []string{`--amount "12.50" is not an integer amount in minor units`}},
		{"start: zero amount", with(start, "--amount", "0"), []string{"--amount must be positive"}},
		{"start: amount overflow", with(start, "--amount", "99999999999999999999"), []string{`--amount "99999999999999999999"`}},
		{"start: lower-case currency", with(start, "--currency", "hkd"), []string{`--currency "hkd" is not a 3-letter ISO 4217 code`}},
		{"start: long currency", with(start, "--currency", "HKDD"), []string{`--currency "HKDD"`}},
		{"start: bad duration", with(start, "--pay-timeout", "5 minutes"), []string{`--pay-timeout "5 minutes" is not a duration`}},
		{"start: negative duration", with(start, "--pay-timeout", "-5m"), []string{`--pay-timeout "-5m" must not be negative`}},
		{"start: too long timeout", with(start, "--pay-timeout", "800h"), []string{"--pay-timeout must be between 0 and 720h"}},
		{"start: bad time", with(start, "--pay-started-at", "yesterday"), []string{`--pay-started-at "yesterday" is not an RFC 3339 time`}},
		{"start: bad deadline", with(start, "--cancel-deadline", "2026-13-01"), []string{`--cancel-deadline "2026-13-01" is not an RFC 3339 time`}},
		{"start: deadline before start", with(start, "--pay-started-at", "2026-05-01T12:00:00Z", "--cancel-deadline", "2026-05-01T11:00:00Z"),
			[]string{"--cancel-deadline 2026-05-01T11:00:00Z is not after --pay-started-at"}},
		{"start: order with slash", with(start, "--order", "a/b"), []string{`--order "a/b" must not contain '/'`}},
		{"start: gnete order too long", with(start, "--order", strings.Repeat("x", 31)), []string{"--order is 31 bytes; gnete allows at most 30"}},
		{"start: ksher order too long", with(start, "--provider", "ksher", "--order", strings.Repeat("x", 33)), []string{"--order is 33 bytes; ksher allows at most 32"}},
		{"start: bad notify url", with(start, "--notify-url", "ftp://x"), []string{`--notify-url "ftp://x" is not an http(s) URL`}},
		{"start: bad wait timeout", with(start, "--wait", "--wait-timeout", "0s"), []string{"--wait-timeout must be positive"}},
		{"start: flag type", with(start, "--wait-timeout", "soon"), []string{`invalid argument "soon" for "--wait-timeout"`}},
		{"start: empty task queue", with(start, "--task-queue", " "), []string{"--task-queue must not be empty"}},

		{"status: no order", []string{"status", "--merchant", "demo", "--provider", "gnete"}, []string{"--order is required"}},
		{"status: no provider", []string{"status", "--merchant", "demo", "--order", "A1"}, []string{"--provider is required"}},
		{"status: no merchant", []string{"status", "--provider", "gnete", "--order", "A1"}, []string{"--merchant is required"}},
		{"status: bad merchant", []string{"status", "--merchant", "ac me", "--provider", "gnete", "--order", "A1"}, []string{`--merchant "ac me" may hold only letters`}},
		{"resolve: no merchant", []string{"resolve", "--provider", "gnete", "--order", "A1", "--action", "PAID", "--operator", "al"}, []string{"--merchant is required"}},
		{"status: unknown provider", []string{"status", "--merchant", "demo", "--provider", "visa", "--order", "A1"}, []string{`--provider "visa" is not one of`}},
		{"status: order with space", []string{"status", "--merchant", "demo", "--provider", "gnete", "--order", "A 1"}, []string{`--order "A 1" must not contain`}},

		{"signal: no status", []string{"signal-payment", "--merchant", "demo", "--provider", "gnete", "--order", "A1"}, []string{"--status is required"}},
		{"signal: bad status", []string{"signal-payment", "--merchant", "demo", "--provider", "gnete", "--order", "A1", "--status", "paid"}, []string{`--status "paid" is not one of PAID, FAILED, CLOSED`}},
		{"signal: unknown provider", []string{"signal-payment", "--merchant", "demo", "--provider", "x", "--order", "A1", "--status", "PAID"}, []string{`--provider "x"`}},

		{"resolve: nothing", []string{"resolve", "--merchant", "demo", "--provider", "gnete", "--order", "A1"}, []string{"--action is required", "--operator is required"}},
		{"resolve: bad action", []string{"resolve", "--merchant", "demo", "--provider", "gnete", "--order", "A1", "--action", "REVERSE", "--operator", "al"}, []string{`--action "REVERSE" is not one of`}},
		{"resolve: no operator", []string{"resolve", "--merchant", "demo", "--provider", "gnete", "--order", "A1", "--action", "PAID"}, []string{"--operator is required"}},
		{"resolve: long note", []string{"resolve", "--merchant", "demo", "--provider", "gnete", "--order", "A1", "--action", "PAID", "--operator", "al", "--note", strings.Repeat("n", 3000)},
			[]string{"note to 2048"}},

		{"resend: no operator", []string{"resend", "--merchant", "demo", "--provider", "gnete", "--order", "A1"}, []string{"--operator is required"}},

		{"list: bad state", []string{"list", "--state", "DONE"}, []string{`--state "DONE" is not one of`}},
		{"list: bad provider", []string{"list", "--provider", "visa"}, []string{`--provider "visa" is not one of`}},
		{"list: bad limit", []string{"list", "--limit", "0"}, []string{"--limit 0 is not between 1 and 1000"}},
		{"list: merchant and legacy", []string{"list", "--merchant", "demo", "--legacy"}, []string{"give --merchant or --legacy, not both"}},
		{"list: bad merchant", []string{"list", "--merchant", "a b"}, []string{`--merchant "a b"`}},
		{"list: limit not a number", []string{"list", "--limit", "ten"}, []string{`invalid argument "ten" for "--limit"`}},
		{"list: bad review flag", []string{"list", "--needs-review=maybe"}, []string{`"--needs-review"`}},

		{"demo: bad sandbox url", []string{"demo", "--sandbox-url", "localhost:8299"}, []string{`--sandbox-url "localhost:8299" is not an http(s) URL`}},
		{"demo: bad timeout", []string{"demo", "--timeout", "0s"}, []string{"--timeout must be positive"}},
		{"demo: bad merchant", []string{"demo", "--merchant", ""}, []string{"--merchant is required"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, &out, &errb, noDial(t))
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d; stderr: %s", code, ExitUsage, errb.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr does not say %q:\n%s", w, errb.String())
				}
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, name := range append(commandNames(), "") {
		args := []string{"--help"}
		if name != "" {
			args = []string{name, "--help"}
		}
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb, noDial(t)); code != ExitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		if !strings.Contains(out.String(), "Usage: starter") {
			t.Fatalf("%v: no usage on stdout:\n%s", args, out.String())
		}
	}
}

// inProcess runs commands against a testenv: the dial hook hands out a client that
// shares the environment's connection (closing it leaves the env's client open).
func inProcess(t *testing.T, env *testenv.Env) func(args ...string) (int, string, string) {
	d := deps{
		getenv: func(string) string { return "" },
		dial: func(context.Context, connect.Options) (client.Client, string, error) {
			c, err := client.NewClientFromExisting(env.Client, client.Options{Namespace: env.Namespace})
			return c, env.Namespace, err
		},
		pollInterval: 200 * time.Millisecond,
	}
	return func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append(args, "--task-queue", env.TaskQueue), &out, &errb, d)
		return code, out.String(), errb.String()
	}
}

func createPayment(t *testing.T, env *testenv.Env, provider string, p simkit.Payment) {
	t.Helper()
	testenv.CreatePayment(t, env.Sandboxes.URL, provider, p)
}

// TestAgainstServer runs the commands and the demo against a real in-process
// Temporal server, worker and sandboxes.
func TestAgainstServer(t *testing.T) {
	env := testenv.Start(t, testenv.Options{})
	cli := inProcess(t, env)

	t.Run("Demo", func(t *testing.T) {
		t.Parallel()
		code, out, errb := cli("demo", "--json", "--sandbox-url", env.Sandboxes.URL, "--timeout", "150s")
		var results []demo.Result
		if err := json.Unmarshal([]byte(out), &results); err != nil {
			t.Fatalf("demo output is not JSON (%v): %s\nstderr: %s", err, out, errb)
		}
		var table bytes.Buffer
		_ = demo.Print(&table, results)
		t.Logf("demo:\n%s", table.String())
		if code != ExitOK {
			t.Fatalf("demo exit %d: %s", code, errb)
		}
		if len(results) != len(contract.ProviderNames)*demo.ScenarioCount() {
			t.Fatalf("%d results, want %d", len(results), len(contract.ProviderNames)*demo.ScenarioCount())
		}
		for _, r := range results {
			if !r.OK || r.State != r.Expected || r.Reason != r.ExpectedReason {
				t.Errorf("%s %s: reached %s (%s), want %s (%s) %s", r.Provider, r.Scenario, r.State, r.Reason, r.Expected, r.ExpectedReason, r.Error)
			}
			if r.Notified != "yes" {
				t.Errorf("%s %s: merchant notification %s", r.Provider, r.Scenario, r.Notified)
			}
			if !strings.HasPrefix(r.UILink, "http://127.0.0.1:8233/namespaces/"+env.Namespace+"/workflows/cancel%2Fdemo%2F"+r.Provider+"%2F") {
				t.Errorf("UI link %s", r.UILink)
			}
			if len(r.Order) > 30 {
				t.Errorf("order %s is longer than GNETE allows", r.Order)
			}
		}
	})

	t.Run("Commands", func(t *testing.T) {
		t.Parallel()
		o := testenv.Order("cli")
		createPayment(t, env, "ksher", simkit.Payment{MerchantOrderNo: o, Amount: 5000, Currency: "THB"})
		startArgs := []string{"start", "--merchant", "demo", "--provider", "ksher", "--credential", "demo-ksher", "--order", o, "--amount", "5000", "--currency", "THB"}

		code, out, errb := cli(append(startArgs, "--wait", "--json")...)
		if code != ExitOK {
			t.Fatalf("start --wait: exit %d\n%s\n%s", code, out, errb)
		}
		var started struct {
			WorkflowID string          `json:"workflowId"`
			Started    bool            `json:"started"`
			Status     contract.Status `json:"status"`
		}
		if err := json.Unmarshal([]byte(out), &started); err != nil || !started.Started || started.Status.Final != contract.StateCancelled {
			t.Fatalf("start --wait output (%v): %s", err, out)
		}
		// --wait stops at the outcome; the workflow closes once the merchant is notified.
		wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := paycancel.New(env.Client, paycancel.Options{TaskQueue: env.TaskQueue}).Attach(paycancel.Ref{Merchant: "demo", Provider: "ksher", MerchantOrderNo: o}).Wait(wctx); err != nil {
			t.Fatal(err)
		}
		// The finished cancel is refused, with its outcome (exit 5).
		if code, out, errb := cli(startArgs...); code != ExitRefused || !strings.Contains(out, "CANCELLED") || !strings.Contains(errb, "already finished") {
			t.Fatalf("second start: exit %d\n%s\n%s", code, out, errb)
		}
		if code, out, _ := cli("status", "--merchant", "demo", "--provider", "ksher", "--order", o); code != ExitOK || !strings.Contains(out, "STATE") || !strings.Contains(out, "CANCELLED") {
			t.Fatalf("status: exit %d\n%s", code, out)
		}
		if code, _, errb := cli("status", "--merchant", "demo", "--provider", "ksher", "--order", o+"-none"); code != ExitNotFound {
			t.Fatalf("status of nothing: exit %d %s", code, errb)
		}
		if code, _, errb := cli("resolve", "--merchant", "demo", "--provider", "ksher", "--order", o, "--action", "PAID", "--operator", "al"); code != ExitRefused {
			t.Fatalf("resolve of a finished cancel: exit %d %s", code, errb)
		}

		// A window-expired cancel: --wait ends at the review (exit 4), list finds it,
		// resolve ends it.
		o2 := o + "w"
		createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: o2, Amount: 5000, Currency: "USD", Scenario: simkit.Scenario{WindowExpired: true}})
		code, out, errb = cli("start", "--merchant", "demo", "--provider", "payermax", "--credential", "demo-payermax", "--order", o2, "--amount", "5000", "--currency", "USD", "--wait")
		if code != ExitUnexpected || !strings.Contains(out, "NEEDS_REVIEW (WINDOW_EXPIRED)") {
			t.Fatalf("start --wait of a window-expired payment: exit %d\n%s\n%s", code, out, errb)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			code, out, errb := cli("list", "--merchant", "demo", "--needs-review", "--provider", "payermax", "--json")
			var list []paycancel.Summary
			if code != ExitOK || json.Unmarshal([]byte(out), &list) != nil {
				t.Fatalf("list: exit %d\n%s\n%s", code, out, errb)
			}
			found := false
			for _, s := range list {
				found = found || (s.MerchantOrderNo == o2 && s.State == contract.StateNeedsReview && s.Merchant == "demo")
			}
			if found {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not listed: %s", o2, out)
			}
			time.Sleep(300 * time.Millisecond)
		}
		if code, out, errb := cli("resend", "--merchant", "demo", "--provider", "payermax", "--order", o2, "--operator", "al"); code != ExitRefused || !strings.Contains(errb, "only possible when NOTIFY_EXHAUSTED") {
			t.Fatalf("resend: exit %d\n%s\n%s", code, out, errb)
		}
		if code, out, errb := cli("resolve", "--merchant", "demo", "--provider", "payermax", "--order", o2, "--action", "CANCELLED", "--operator", "al", "--note", "closed by hand"); code != ExitOK ||
			!strings.Contains(out, "CANCELLED by al: closed by hand") {
			t.Fatalf("resolve: exit %d\n%s\n%s", code, out, errb)
		}
		// signal-payment on an order with no cancel: exit 3.
		if code, _, errb := cli("signal-payment", "--merchant", "demo", "--provider", "payermax", "--order", o+"-none", "--status", "PAID"); code != ExitNotFound {
			t.Fatalf("signal-payment of nothing: exit %d %s", code, errb)
		}
	})
}
