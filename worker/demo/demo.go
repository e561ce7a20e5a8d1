// Package demo is the demo run by `worker --dev --demo` and `starter demo`: a
// payment per provider and scenario in the provider simulators (their admin API
// over HTTP), the cancels started straight through the Temporal SDK with the
// contract's start options, and one table of outcomes with a Web UI link per
// cancel. It imports the contract, the SDK and the simulators' payment type —
// no Temporal server and nothing of the starter — so both binaries may link it.
package demo

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/workflows/contract"
)

// Config configures Run.
type Config struct {
	// Client starts and watches the cancels.
	Client client.Client
	// TaskQueue the worker polls. Default contract.DefaultTaskQueue.
	TaskQueue string
	// PollInterval is how often a cancel's status is read. Default 1s.
	PollInterval time.Duration
	// SandboxURL is the sandboxes' root (worker --dev: http://127.0.0.1:8299).
	SandboxURL string
	// UIURL is the Temporal Web UI's root for the links (worker --dev: http://127.0.0.1:8233).
	UIURL string
	// Namespace for the links. Default "default".
	Namespace string
	// Merchant whose credentials they are. Default "demo" (what worker --dev configures).
	Merchant string
	// CredentialPrefix names the credentials: <prefix><provider>. Default "demo-"
	// (what worker --dev configures).
	CredentialPrefix string
	// Timeout bounds the wait for all cancels. Default 3 minutes.
	Timeout time.Duration
	// HTTP talks to the sandboxes' admin API. Nil: a client with a 10 s timeout.
	HTTP *http.Client
	// Progress receives one line per step (nil: nothing).
	Progress io.Writer
}

// Result is one row of the demo's table.
type Result struct {
	Provider   string `json:"provider"`
	Scenario   string `json:"scenario"`
	Order      string `json:"merchantOrderNo"`
	WorkflowID string `json:"workflowId"`
	// Expected is the state the scenario must reach, with ExpectedReason for a review.
	Expected       string `json:"expected"`
	ExpectedReason string `json:"expectedReason,omitempty"`
	// State and Reason are what the cancel reached.
	State    string `json:"state"`
	Reason   string `json:"reason,omitempty"`
	Attempts int    `json:"cancelAttempts"`
	Queries  int    `json:"cancelQueries"`
	Notified string `json:"notified"`
	UILink   string `json:"uiLink"`
	// Note explains an expectation that differs by provider.
	Note  string `json:"note,omitempty"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// demoScenario is one scripted payment and what a correct system does with it.
type demoScenario struct {
	name, code string
	payment    func() simkit.Payment // state and scenario; ids and amount are filled in
	payTimeout time.Duration
	// expect returns the expected state and review reason for a provider, and a
	// note when the provider makes it differ from the others.
	expect func(provider string) (state, reason, note string)
}

func always(state string) func(string) (string, string, string) {
	return func(string) (string, string, string) { return state, "", "" }
}

// demoScenarios are checked against each provider's sandbox and adapter
// (providers/sim/<name>sim/sandbox.go, providers/<name>/codes.go).
var demoScenarios = []demoScenario{
	{name: "happy", code: "hp", payTimeout: 0,
		payment: func() simkit.Payment { return simkit.Payment{} },
		expect:  always(contract.StateCancelled)},
	{name: "pending-then-success", code: "pd",
		payment: func() simkit.Payment { return simkit.Payment{Scenario: simkit.Scenario{PendingQueries: 2}} },
		expect: func(p string) (string, string, string) {
			switch p {
			case "alipayplus", "alipayglobal":
				return contract.StateCancelled, "", "no pending answer: the wallet says U (unknown); retried after a query"
			}
			return contract.StateCancelled, "", ""
		}},
	{name: "unknown-then-success", code: "uk",
		payment: func() simkit.Payment {
			return simkit.Payment{Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}}}
		},
		expect: always(contract.StateCancelled)},
	{name: "paid-before-deadline", code: "pb", payTimeout: 3 * time.Second,
		payment: func() simkit.Payment { return simkit.Payment{Scenario: simkit.Scenario{PayOnQuery: 1}} },
		expect:  always(contract.StatePaid)},
	{name: "already-paid", code: "ap",
		payment: func() simkit.Payment { return simkit.Payment{State: simkit.Paid} },
		expect: func(p string) (string, string, string) {
			switch p {
			case "gnete":
				return contract.StateCancelled, "", "GNETE reverses a paid order on the same (Hong Kong) day: refunded"
			case "alipayglobal":
				return contract.StateCancelled, "", "Alipay Global's payCancel refunds a paid transaction"
			}
			return contract.StatePaidAtCancel, "", "refuses to cancel a paid order: refund or fulfil"
		}},
	{name: "window-expired", code: "we",
		payment: func() simkit.Payment { return simkit.Payment{Scenario: simkit.Scenario{WindowExpired: true}} },
		expect: func(p string) (string, string, string) {
			if p == "ksher" {
				return contract.StateNeedsReview, contract.ReviewAttemptsExhausted,
					"Ksher has no cancel window; its -6 \"cancel failed\" means query and retry, until attempts run out"
			}
			return contract.StateNeedsReview, contract.ReviewWindowExpired, ""
		}},
	// The sandbox's cancel reply claims the cancel happened in the form the provider
	// does not sign (or, for Alipay+ and Alipay Global, without its signature) while
	// the payment stays open: never believed, retried, then a human decides.
	{name: "unsigned-claim", code: "uc",
		payment: func() simkit.Payment { return simkit.Payment{Scenario: simkit.Scenario{UnsignedClaim: true}} },
		expect: func(string) (string, string, string) {
			return contract.StateNeedsReview, contract.ReviewAttemptsExhausted,
				"the reply claims the cancel but is not signed: unknown until the signed status query agrees"
		}},
}

// demoCurrency is a plausible currency per provider (the sandboxes accept any).
var demoCurrency = map[string]string{"payermax": "USD", "alipayplus": "USD", "gnete": "HKD", "ksher": "THB", "alipayglobal": "USD"}

// demoOrderNo makes an order number unique per run: "dm" + the run's tag (base-36
// seconds and 4 random hex digits) + "-" + the scenario's code, 15 characters
// (GNETE allows 30, Ksher 32).
func demoOrderNo(tag, code string) string { return "dm" + tag + "-" + code }

func demoTag(now time.Time) string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return strconv.FormatInt(now.Unix(), 36) + hex.EncodeToString(b)
}

// Run creates a payment per provider and scenario in the sandboxes (their
// admin API over HTTP), starts the cancels, waits until each
// settles — a final outcome with its merchant notification done, or NEEDS_REVIEW,
// which stays open for an operator — and returns one result per cancel. It fails
// only when it cannot set the demo up; a cancel that does not meet its
// expectation is a result with OK false.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	cfg.Namespace = cmp.Or(cfg.Namespace, "default")
	cfg.CredentialPrefix = cmp.Or(cfg.CredentialPrefix, "demo-")
	cfg.Merchant = cmp.Or(cfg.Merchant, "demo")
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Minute
	}
	cfg.TaskQueue = cmp.Or(cfg.TaskQueue, contract.DefaultTaskQueue)
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	tag := demoTag(time.Now())
	var results []Result
	for _, provider := range contract.ProviderNames {
		for _, sc := range demoScenarios {
			state, reason, note := sc.expect(provider)
			r := Result{Provider: provider, Scenario: sc.name,
				Order: demoOrderNo(tag, sc.code), Expected: state, ExpectedReason: reason, Note: note}
			r.WorkflowID = contract.WorkflowID(cfg.Merchant, provider, r.Order)
			r.UILink = UILink(cfg.UIURL, cfg.Namespace, r.WorkflowID)
			p := sc.payment()
			p.MerchantOrderNo, p.Amount, p.Currency = r.Order, 1000, demoCurrency[provider]
			if err := CreatePayment(ctx, cfg.HTTP, cfg.SandboxURL, provider, p); err != nil {
				return nil, err
			}
			req := contract.CancelRequest{
				Merchant: cfg.Merchant, Provider: provider, Credential: cfg.CredentialPrefix + provider, MerchantOrderNo: r.Order,
				Amount: p.Amount, Currency: p.Currency, PayTimeout: sc.payTimeout,
			}
			// Every order is new (the run's tag), so a plain start is enough: no
			// attach to an existing cancel as the order services' API does.
			if _, err := cfg.Client.ExecuteWorkflow(ctx, contract.StartOptions(req, cfg.TaskQueue), contract.WorkflowName, req); err != nil {
				return nil, fmt.Errorf("starting the cancel of %s: %w", r.WorkflowID, err)
			}
			fmt.Fprintf(progress, "started %-40s %s\n", r.WorkflowID, sc.name)
			results = append(results, r)
		}
	}

	wctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func(r *Result) {
			defer wg.Done()
			st, err := contract.WaitStatus(wctx, cfg.Client, r.WorkflowID, cfg.PollInterval, demoDone)
			r.State, r.Reason = st.State, st.ReviewReason
			if st.Final != "" && st.State == contract.StateNotifyExhausted {
				r.State = st.Final
			}
			r.Attempts, r.Queries = st.CancelAttempts, st.QueryAttempts
			r.Notified = notifyShort(st.Notify)
			if err != nil {
				r.Error = err.Error()
			}
			r.OK = err == nil && r.State == r.Expected && r.Reason == r.ExpectedReason
			fmt.Fprintf(progress, "%-40s %s\n", r.WorkflowID, st.StateText())
		}(&results[i])
	}
	wg.Wait()
	return results, nil
}

// demoDone: the cancel is settled for the demo — in review with its notification
// done, or its notification exhausted. A cancel that closes ends contract.WaitStatus anyway.
func demoDone(st contract.Status) bool {
	n := st.Notify
	switch st.State {
	case contract.StateNeedsReview:
		return n.URL == "" || n.Delivered || n.Exhausted
	case contract.StateNotifyExhausted:
		return true
	}
	return false
}

func notifyShort(n contract.NotifyStatus) string {
	switch {
	case n.URL == "":
		return "no URL"
	case n.Delivered:
		return "yes"
	case n.Exhausted:
		return "exhausted"
	}
	return "pending"
}

// CreatePayment sets a payment up in a simulator through POST <sandbox>/<provider>/_sandbox/payments.
func CreatePayment(ctx context.Context, hc *http.Client, root, provider string, p simkit.Payment) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	u := strings.TrimRight(root, "/") + "/" + provider + "/_sandbox/payments"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("creating a %s sandbox payment at %s: %w (is `worker --dev` running?)", provider, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("creating a %s sandbox payment at %s: HTTP %d: %s", provider, u, resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return nil
}

// Print renders the results as one table.
func Print(w io.Writer, results []Result) error {
	tw := NewTable(w)
	Row(tw, "PROVIDER", "SCENARIO", "EXPECTED", "FINAL", "OK", "ATTEMPTS", "NOTIFIED", "WEB UI", "NOTE")
	for _, r := range results {
		exp, got := r.Expected, r.State
		if r.ExpectedReason != "" {
			exp += " (" + r.ExpectedReason + ")"
		}
		if r.Reason != "" {
			got += " (" + r.Reason + ")"
		}
		ok := "ok"
		if !r.OK {
			ok = "FAIL"
		}
		note := r.Note
		if r.Error != "" {
			note = strings.TrimSpace(note + " error: " + r.Error)
		}
		Row(tw, r.Provider, r.Scenario, exp, got, ok,
			fmt.Sprintf("%d cancel, %d query", r.Attempts, r.Queries), r.Notified, r.UILink, note)
	}
	return tw.Flush()
}

// NewTable is the table writer of the demo's report and of the starter CLI's
// output (which imports it from here: one table format for both).
func NewTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// Row writes tab-separated cells to a NewTable; empty cells show as "-", and tabs
// or newlines inside a cell become spaces so a cell cannot break the table.
func Row(tw io.Writer, cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(cells[i])
	}
	fmt.Fprintln(tw, strings.Join(cells, "\t"))
}

// UILink is the Web UI page of a workflow (the UI redirects to its latest run).
func UILink(uiURL, namespace, workflowID string) string {
	return strings.TrimRight(uiURL, "/") + "/namespaces/" + url.PathEscape(namespace) +
		"/workflows/" + url.PathEscape(workflowID)
}

// ScenarioCount is the number of scenarios Run plays per provider.
func ScenarioCount() int { return len(demoScenarios) }

// Passed counts the results that reached their expected state.
func Passed(results []Result) int {
	n := 0
	for _, r := range results {
		if r.OK {
			n++
		}
	}
	return n
}
