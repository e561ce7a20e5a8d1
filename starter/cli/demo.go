package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/workflows"
)

// DemoConfig configures RunDemo.
type DemoConfig struct {
	// API starts and watches the cancels.
	API *paycancel.Client
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

// DemoResult is one row of the demo's table.
type DemoResult struct {
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
		expect:  always(workflows.StateCancelled)},
	{name: "pending-then-success", code: "pd",
		payment: func() simkit.Payment { return simkit.Payment{Scenario: simkit.Scenario{PendingQueries: 2}} },
		expect: func(p string) (string, string, string) {
			switch p {
			case "alipayplus", "alipayglobal":
				return workflows.StateCancelled, "", "no pending answer: the wallet says U (unknown); retried after a query"
			}
			return workflows.StateCancelled, "", ""
		}},
	{name: "unknown-then-success", code: "uk",
		payment: func() simkit.Payment {
			return simkit.Payment{Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}}}
		},
		expect: always(workflows.StateCancelled)},
	{name: "paid-before-deadline", code: "pb", payTimeout: 3 * time.Second,
		payment: func() simkit.Payment { return simkit.Payment{Scenario: simkit.Scenario{PayOnQuery: 1}} },
		expect:  always(workflows.StatePaid)},
	{name: "already-paid", code: "ap",
		payment: func() simkit.Payment { return simkit.Payment{State: simkit.Paid} },
		expect: func(p string) (string, string, string) {
			switch p {
			case "gnete":
				return workflows.StateCancelled, "", "GNETE reverses a paid order on the same (Hong Kong) day: refunded"
			case "alipayglobal":
				return workflows.StateCancelled, "", "Alipay Global's payCancel refunds a paid transaction"
			}
			return workflows.StatePaidAtCancel, "", "refuses to cancel a paid order: refund or fulfil"
		}},
	{name: "window-expired", code: "we",
		payment: func() simkit.Payment { return simkit.Payment{Scenario: simkit.Scenario{WindowExpired: true}} },
		expect: func(p string) (string, string, string) {
			if p == "ksher" {
				return workflows.StateNeedsReview, workflows.ReviewAttemptsExhausted,
					"Ksher has no cancel window; its -6 \"cancel failed\" means query and retry, until attempts run out"
			}
			return workflows.StateNeedsReview, workflows.ReviewWindowExpired, ""
		}},
	// The sandbox's cancel reply claims the cancel happened in the form the provider
	// does not sign (or, for Alipay+ and Alipay Global, without its signature) while
	// the payment stays open: never believed, retried, then a human decides.
	{name: "unsigned-claim", code: "uc",
		payment: func() simkit.Payment { return simkit.Payment{Scenario: simkit.Scenario{UnsignedClaim: true}} },
		expect: func(string) (string, string, string) {
			return workflows.StateNeedsReview, workflows.ReviewAttemptsExhausted,
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

// RunDemo creates a payment per provider and scenario in the sandboxes (their
// admin API over HTTP), starts the cancels through the Go API, waits until each
// settles — a final outcome with its merchant notification done, or NEEDS_REVIEW,
// which stays open for an operator — and returns one result per cancel. It fails
// only when it cannot set the demo up; a cancel that does not meet its
// expectation is a result with OK false.
func RunDemo(ctx context.Context, cfg DemoConfig) ([]DemoResult, error) {
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.CredentialPrefix == "" {
		cfg.CredentialPrefix = "demo-"
	}
	if cfg.Merchant == "" {
		cfg.Merchant = "demo"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Minute
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	tag := demoTag(time.Now())
	var results []DemoResult
	var cancels []*paycancel.Cancel
	for _, provider := range workflows.ProviderNames {
		for _, sc := range demoScenarios {
			state, reason, note := sc.expect(provider)
			r := DemoResult{Provider: provider, Scenario: sc.name,
				Order: demoOrderNo(tag, sc.code), Expected: state, ExpectedReason: reason, Note: note}
			r.WorkflowID = workflows.WorkflowID(cfg.Merchant, provider, r.Order)
			r.UILink = UILink(cfg.UIURL, cfg.Namespace, r.WorkflowID)
			p := sc.payment()
			p.MerchantOrderNo, p.Amount, p.Currency = r.Order, 1000, demoCurrency[provider]
			if err := createSandboxPayment(ctx, cfg.HTTP, cfg.SandboxURL, provider, p); err != nil {
				return nil, err
			}
			x, _, err := cfg.API.Start(ctx, workflows.CancelRequest{
				Merchant: cfg.Merchant, Provider: provider, Credential: cfg.CredentialPrefix + provider, MerchantOrderNo: r.Order,
				Amount: p.Amount, Currency: p.Currency, PayTimeout: sc.payTimeout,
			})
			if err != nil {
				return nil, fmt.Errorf("starting the cancel of %s: %w", r.WorkflowID, err)
			}
			fmt.Fprintf(progress, "started %-40s %s\n", r.WorkflowID, sc.name)
			results = append(results, r)
			cancels = append(cancels, x)
		}
	}

	wctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func(r *DemoResult, x *paycancel.Cancel) {
			defer wg.Done()
			st, err := x.WaitUntil(wctx, demoDone)
			r.State, r.Reason = st.State, st.ReviewReason
			if st.Final != "" && st.State == workflows.StateNotifyExhausted {
				r.State = st.Final
			}
			r.Attempts, r.Queries = st.CancelAttempts, st.QueryAttempts
			r.Notified = notifyShort(st.Notify)
			if err != nil {
				r.Error = err.Error()
			}
			r.OK = err == nil && r.State == r.Expected && r.Reason == r.ExpectedReason
			fmt.Fprintf(progress, "%-40s %s\n", r.WorkflowID, stateText(st))
		}(&results[i], cancels[i])
	}
	wg.Wait()
	return results, nil
}

// demoDone: the cancel is settled for the demo — in review with its notification
// done, or its notification exhausted. A cancel that closes ends WaitUntil anyway.
func demoDone(st workflows.Status) bool {
	n := st.Notify
	switch st.State {
	case workflows.StateNeedsReview:
		return n.URL == "" || n.Delivered || n.Exhausted
	case workflows.StateNotifyExhausted:
		return true
	}
	return false
}

func notifyShort(n workflows.NotifyStatus) string {
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

// createSandboxPayment sets a payment up through POST <sandbox>/<provider>/_sandbox/payments.
func createSandboxPayment(ctx context.Context, hc *http.Client, root, provider string, p simkit.Payment) error {
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

// PrintDemo renders the results as one table.
func PrintDemo(w io.Writer, results []DemoResult) error {
	tw := newTable(w)
	row(tw, "PROVIDER", "SCENARIO", "EXPECTED", "FINAL", "OK", "ATTEMPTS", "NOTIFIED", "WEB UI", "NOTE")
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
		row(tw, r.Provider, r.Scenario, exp, got, ok,
			fmt.Sprintf("%d cancel, %d query", r.Attempts, r.Queries), r.Notified, r.UILink, note)
	}
	return tw.Flush()
}
