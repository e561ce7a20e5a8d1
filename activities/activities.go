// Package activities holds paycancel's activities: thin methods on a struct that
// holds their dependencies. They call the provider adapters (package providers) and
// translate provider outcomes into Temporal semantics — results for done and
// pending, retryable errors for "unknown", NextRetryDelay for rate limits, and
// non-retryable application errors with stable type strings for definite failures.
// The cancel activity may also make a done cancel's first merchant notification
// (inline.go). Secrets stay in the worker's configuration: no result or error
// carries one.
package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
	"github.com/paycancel/paycancel/workflows/contract/webhook"
)

// Activities holds what the activities need. Construct it once per worker.
type Activities struct {
	// Config is the worker's configuration (credentials, merchants): the
	// worker's *config.Config.
	Config Config
	// HTTPClient delivers merchant notifications. Nil: a client with a 15 s timeout.
	HTTPClient *http.Client
	// Now is the clock for notification timestamps. Nil: time.Now.
	Now func() time.Time
	// Metrics receives counters (observability.Metrics); nil records nothing.
	Metrics Recorder
	// Temporal is the client the reconciliation activities use for visibility
	// queries and signals, and the cancel activity to read its workflow's history
	// and complete after notifying the merchant (inline.go). Nil: the
	// reconciliation activities fail with a clear error, and the workflow
	// notifies the merchant itself.
	Temporal client.Client

	inlineOnce sync.Once
	inline     chan struct{}  // notifications under way (inlineSlots)
	notices    sync.WaitGroup // their goroutines (WaitNotices)
}

// Config is what the activities read from the worker's configuration. The
// worker's loaded configuration (*worker/config.Config) implements it: the
// activities never import the worker, and secrets stay behind these methods.
// Every method answers ok=false (or "") on a nil configuration.
type Config interface {
	// CredentialSet returns the named credential set: the merchant it belongs
	// to and its provider adapter.
	CredentialSet(name string) (merchant string, provider providers.Provider, ok bool)
	// CancelPolicy returns the credential set's non-secret cancel policy for a
	// payment started at payStartedAt: its merchant, payment poll, backoffs,
	// attempts and cancel window, with the merchant's default notify URL and
	// notification schedule (ActivityTaskQueue is left empty).
	CancelPolicy(credential string, payStartedAt time.Time) (contract.CancelPolicy, bool)
	// NotifySecret returns the secret that signs the merchant's notifications.
	NotifySecret(merchant string) (providers.Secret, bool)
	// CallbackURL is the public root of the worker's /callbacks/… ("" for none).
	CallbackURL() string
}

// Recorder receives the activities' metrics. Counting happens here, never in
// workflow code, where replays would count again.
type Recorder interface {
	CancelStarted(provider string)
	ProviderCall(provider, operation, outcome string, took time.Duration)
	Notification(result string)
}

type noMetrics struct{}

func (noMetrics) CancelStarted(string)                               {}
func (noMetrics) ProviderCall(string, string, string, time.Duration) {}
func (noMetrics) Notification(string)                                {}

func (a *Activities) metrics() Recorder {
	if a.Metrics == nil {
		return noMetrics{}
	}
	return a.Metrics
}

// queryCancel asks the provider for a cancel's status and records the call (the
// query of QueryCancel, and the one CancelPayment makes before re-sending).
func (a *Activities) queryCancel(ctx context.Context, p providers.Provider, target providers.Target, cancelKey, providerRef string) providers.Outcome {
	start := time.Now()
	out := p.QueryCancel(ctx, providers.CancelQuery{Target: target, CancelKey: cancelKey, ProviderRef: providerRef})
	a.observe(p.Name(), "query_cancel", start, out)
	return out
}

// queryPayment asks the provider for a payment's status and records the call.
func (a *Activities) queryPayment(ctx context.Context, p providers.Provider, target providers.Target) providers.PaymentStatus {
	start := time.Now()
	ps := p.QueryPayment(ctx, target)
	a.observe(p.Name(), "query_payment", start, ps.Outcome)
	return ps
}

// observe records one provider call.
func (a *Activities) observe(provider, op string, start time.Time, out providers.Outcome) {
	label := string(out.Kind)
	if out.Reason != "" {
		label += "/" + string(out.Reason)
	}
	a.metrics().ProviderCall(provider, op, label, time.Since(start))
}

func (a *Activities) callbackURL() string {
	if a.Config == nil {
		return ""
	}
	return a.Config.CallbackURL()
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

func (a *Activities) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// credential is a credential set the activities call a provider with.
type credential struct {
	Merchant string
	Provider providers.Provider
}

func (a *Activities) credential(name string) (credential, error) {
	if a.Config != nil {
		if m, p, ok := a.Config.CredentialSet(name); ok {
			return credential{Merchant: m, Provider: p}, nil
		}
	}
	return credential{}, temporal.NewNonRetryableApplicationError(
		fmt.Sprintf("credential %q is not configured on this worker", name), ErrUnknownCredential, nil)
}

// LoadPolicy resolves the non-secret cancel policy of a credential (run as a local
// activity: its result is recorded once in history), with the provider's task
// queue beside the workflow's.
func (a *Activities) LoadPolicy(ctx context.Context, in PolicyInput) (contract.CancelPolicy, error) {
	pol, err := a.policy(in)
	if err != nil {
		return contract.CancelPolicy{}, err
	}
	if activity.IsActivity(ctx) {
		// A local activity runs on its workflow's task queue.
		pol.ActivityTaskQueue = contract.ProviderTaskQueue(activity.GetInfo(ctx).TaskQueue, in.Provider)
		if t := activity.GetInfo(ctx).WorkflowType; t != nil && t.Name == contract.WorkflowName {
			a.metrics().CancelStarted(in.Provider)
		}
	}
	return pol, nil
}

// policy checks that the credential is the request's (its provider, its merchant)
// and builds the cancel's policy from the configuration; it names no task queue.
func (a *Activities) policy(in PolicyInput) (contract.CancelPolicy, error) {
	cred, err := a.credential(in.Credential)
	if err != nil {
		return contract.CancelPolicy{}, err
	}
	if cred.Provider.Name() != in.Provider {
		return contract.CancelPolicy{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("credential %q is for %s, not %s", in.Credential, cred.Provider.Name(), in.Provider), ErrUnknownCredential, nil)
	}
	if in.Merchant != "" && cred.Merchant != in.Merchant {
		// The message names only what the caller sent: which merchant the
		// credential does belong to is that merchant's business.
		return contract.CancelPolicy{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("credential %q is not one of merchant %q's credential sets", in.Credential, in.Merchant), ErrCredentialNotOfMerchant, nil)
	}
	pol, ok := a.Config.CancelPolicy(in.Credential, in.PayStartedAt)
	if !ok {
		return contract.CancelPolicy{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("credential %q has no cancel policy on this worker", in.Credential), ErrUnknownCredential, nil)
	}
	if in.NotifyURL != "" {
		pol.NotifyURL = in.NotifyURL
	}
	return pol, nil
}

// CancelPayment sends one cancel attempt. On a retry (attempt > 1) it first asks
// the provider whether an earlier attempt took effect: after an unknown result the
// providers say to query before cancelling again (GNETE, Ksher -6), and for the
// others the query is harmless. Done stops there; anything else sends the cancel
// again with the workflow's business key, unchanged.
func (a *Activities) CancelPayment(ctx context.Context, in CancelCall) (CancelResult, error) {
	cred, pctx, end, err := a.providerCall(ctx, in.Credential)
	if err != nil {
		return CancelResult{}, err
	}
	defer end()
	info := activity.GetInfo(ctx)
	log := activity.GetLogger(ctx)

	if info.Attempt > 1 {
		q := a.queryCancel(pctx, cred.Provider, in.Target, in.CancelKey, in.ProviderRef)
		log.Info("status before re-sending the cancel", "provider", cred.Provider.Name(), "attempt", info.Attempt, "outcome", q.String())
		// Only "done" short-circuits. "Pending" from a status query often means the
		// payment is still open (the earlier cancel never arrived), and "paid" is not
		// final either: GNETE and Alipay Global reverse paid orders, so the cancel is
		// sent again — same business key, safe to repeat — and a provider that cannot
		// reverse answers "already paid" to the cancel itself.
		if q.Done() {
			return a.notifyInline(ctx, in, CancelResult{Outcome: q, Attempt: info.Attempt})
		}
		// A payment that failed or closed on its own (a verified answer) needs no
		// cancel: say so rather than send one the provider can only refuse.
		if q.Kind == providers.Failed && q.Reason == providers.ReasonPaymentClosed {
			return outcomeError(q, info.Attempt)
		}
	}
	req := providers.CancelRequest{Target: in.Target, CancelKey: in.CancelKey, ProviderRef: in.ProviderRef}
	if base := a.callbackURL(); base != "" {
		// The order rides in the URL: GNETE's cancel notification names the payment
		// only by its own ids (the provider's API page, "Cancel Notification").
		req.NotifyURL = base + "/callbacks/" + cred.Provider.Name() + "/" + in.Credential +
			"?order=" + url.QueryEscape(in.Target.MerchantOrderNo)
	}
	start := time.Now()
	out := cred.Provider.Cancel(pctx, req)
	a.observe(cred.Provider.Name(), "cancel", start, out)
	log.Info("cancel sent", "provider", cred.Provider.Name(), "attempt", info.Attempt, "outcome", out.String())
	switch out.Kind {
	case providers.Succeeded, providers.AlreadyDone:
		return a.notifyInline(ctx, in, CancelResult{Outcome: out, Attempt: info.Attempt})
	case providers.Pending:
		return CancelResult{Outcome: out, Attempt: info.Attempt}, nil
	}
	return outcomeError(out, info.Attempt)
}

// outcomeError turns an unknown or failed outcome into the activity's error.
func outcomeError(out providers.Outcome, attempt int32) (CancelResult, error) {
	res := CancelResult{Outcome: out, Attempt: attempt}
	msg := out.String()
	switch {
	case out.Kind == providers.Unknown:
		// Retryable: the server retries on the policy's backoff with the same input.
		return res, temporal.NewApplicationError(msg, ErrUnknownOutcome, res)
	case out.Reason == providers.ReasonRateLimited:
		return res, temporal.NewApplicationErrorWithOptions(msg, ErrRateLimited, temporal.ApplicationErrorOptions{
			Details: []any{res}, NextRetryDelay: out.RetryAfter, // 0 keeps the policy's backoff
		})
	default:
		return res, temporal.NewNonRetryableApplicationError(msg, ReasonErrorType(out.Reason), nil, res)
	}
}

// QueryCancel asks whether the cancel took effect. Its outcome — pending and
// unknown included — is data: the workflow decides, each query visible in history.
func (a *Activities) QueryCancel(ctx context.Context, in QueryCall) (providers.Outcome, error) {
	cred, pctx, end, err := a.providerCall(ctx, in.Credential)
	if err != nil {
		return providers.Outcome{}, err
	}
	defer end()
	out := a.queryCancel(pctx, cred.Provider, in.Target, in.CancelKey, in.ProviderRef)
	activity.GetLogger(ctx).Info("cancel status", "provider", cred.Provider.Name(), "outcome", out.String())
	return out, nil
}

// QueryPayment asks for the payment's status.
func (a *Activities) QueryPayment(ctx context.Context, in QueryCall) (providers.PaymentStatus, error) {
	cred, pctx, end, err := a.providerCall(ctx, in.Credential)
	if err != nil {
		return providers.PaymentStatus{}, err
	}
	defer end()
	ps := a.queryPayment(pctx, cred.Provider, in.Target)
	activity.GetLogger(ctx).Info("payment status", "provider", cred.Provider.Name(), "state", string(ps.State), "outcome", ps.Outcome.String())
	return ps, nil
}

// NotifyMerchant makes one delivery attempt of a merchant notification, signed with
// the merchant's secret; a fresh webhook-timestamp per attempt, the same webhook-id
// on every attempt. Any 2xx acknowledges. Failures are results, not errors: the
// workflow's schedule decides when to try again.
func (a *Activities) NotifyMerchant(ctx context.Context, in NotifyCall) (NotifyResult, error) {
	var secret providers.Secret
	ok := false
	if a.Config != nil {
		secret, ok = a.Config.NotifySecret(in.Merchant)
	}
	if !ok {
		return NotifyResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("merchant %q is not configured on this worker", in.Merchant), ErrUnknownCredential, nil)
	}
	key, err := webhook.Key(secret.Reveal())
	if err != nil {
		return NotifyResult{Error: "merchant notification secret is malformed"}, nil
	}
	body, err := json.Marshal(in.Event)
	if err != nil {
		return NotifyResult{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.URL, bytes.NewReader(body))
	if err != nil {
		return NotifyResult{Error: "bad notify URL: " + err.Error()}, nil
	}
	for k, v := range webhook.Headers(key, in.EventID, a.now(), body) {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "paycancel-webhooks/1")
	client := a.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	res := a.post(client, req)
	switch {
	case res.Delivered:
		a.metrics().Notification("delivered")
	case in.Last:
		a.metrics().Notification("exhausted")
	default:
		a.metrics().Notification("failed")
	}
	return res, nil
}

func (a *Activities) post(c *http.Client, req *http.Request) NotifyResult {
	resp, err := c.Do(req)
	if err != nil {
		return NotifyResult{Error: err.Error()}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	if resp.StatusCode/100 == 2 {
		return NotifyResult{Delivered: true, Status: resp.StatusCode}
	}
	return NotifyResult{Status: resp.StatusCode, Error: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(snippet)))}
}

// providerCall sets up one provider call: the named credential set, a heartbeat
// (heartbeat) and the call's context (providerContext). end releases both.
func (a *Activities) providerCall(ctx context.Context, name string) (cred credential, pctx context.Context, end func(), err error) {
	if cred, err = a.credential(name); err != nil {
		return credential{}, nil, nil, err
	}
	stop := heartbeat(ctx)
	pctx, done := providerContext(ctx)
	return cred, pctx, func() { done(); stop() }, nil
}

// providerContext is the context of a provider call: the activity's deadline
// bounds it, but its cancellation does not reach it. An activity is cancelled when
// an operator stops the cancel (a workflow cancellation request); the workflow
// then waits for the call under way and records its answer — cutting the HTTP
// exchange in half would turn a cancel the provider may have applied into
// "unknown".
func providerContext(ctx context.Context) (context.Context, context.CancelFunc) {
	pctx := context.WithoutCancel(ctx)
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(pctx, deadline)
	}
	return context.WithCancel(pctx)
}

// heartbeat reports liveness every few seconds while a provider call runs, so a
// worker that dies mid-call is noticed by the heartbeat timeout, not the full
// start-to-close timeout. It goes on after a cancellation request (which a
// heartbeat delivers): the provider call still runs (providerContext) and must
// not time out for want of heartbeats.
func heartbeat(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(3 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}
