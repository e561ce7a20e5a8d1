package reliability

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/workflows"
	"github.com/paycancel/paycancel/workflows/contract"
)

type scenarioFigures struct {
	count, ok int
	states    map[string]int
	took      []time.Duration
}

// checkResult holds the invariants' figures and every violation found.
type checkResult struct {
	violations []string

	total, reachedFinal, asExpected int
	byState                         map[string]int
	byProvider                      map[string]int
	byScenario                      map[string]*scenarioFigures
	took                            []time.Duration

	ordersChecked, effectiveOne, effectiveZero, effectiveWrong int
	cancelledWithoutEffect                                     int // CANCELLED with no effective cancel at the sandbox
	cancelCalls, maxCallsPerOrder, keyMismatch                 int
	afterEffectOrders                                          int

	notifyDelivered, notifyMissing, notifyIDProblems int
	merchantDeliveries, merchantDuplicates           int
	merchantRefused, merchantBadSig                  int
	sharedOrders, tenancyViolations                  int

	reviewsExpected, reviewsResolved, unexpectedReviews int
	lateSignals                                         int
	cancelAttempts, startRetries, maxRuns               int

	executions   int
	execByStatus map[string]int
	// From the histories: workflow-task schedule-to-start waits, workflow tasks
	// that timed out (worker gone), activity attempts beyond the first.
	wftWaits        []time.Duration
	wftTimedOut     int
	wftFailed       map[string]int // workflow tasks failed, by cause
	activityRetries int
	historyEvents   int
	replayed        int
	replayFailed    int
}

func (c *checkResult) fail(format string, a ...any) {
	c.violations = append(c.violations, fmt.Sprintf(format, a...))
}

// check verifies every invariant and fetches (and replays) every history.
func (h *harness) check(ctx context.Context, res *runResult) (*checkResult, error) {
	c := &checkResult{byState: map[string]int{}, byProvider: map[string]int{}, byScenario: map[string]*scenarioFigures{},
		execByStatus: map[string]int{}, wftFailed: map[string]int{}}
	h.merchant.mu.Lock()
	h.merchant2.mu.Lock()
	for _, m := range []*merchantReceiver{h.merchant, h.merchant2} {
		c.merchantRefused += m.refused
		c.merchantBadSig += m.badSig
		for _, states := range m.seen {
			for _, ids := range states {
				for _, n := range ids {
					c.merchantDeliveries += n
					c.merchantDuplicates += n - 1
				}
			}
		}
	}
	if c.merchantBadSig > 0 {
		c.fail("merchants: %d notifications failed signature verification (each merchant verifies with its own secret)", c.merchantBadSig)
	}
	h.checkTenancy(c)

	for _, cr := range h.cancels {
		cr.mu.Lock()
		c.total++
		c.byProvider[cr.provider]++
		sf := c.byScenario[cr.sc.name]
		if sf == nil {
			sf = &scenarioFigures{states: map[string]int{}}
			c.byScenario[cr.sc.name] = sf
		}
		sf.count++
		c.startRetries += cr.startTries - 1
		if cr.sc.review {
			c.reviewsExpected++
		}
		if cr.reviewSeen && !cr.sc.review {
			c.unexpectedReviews++
			c.fail("%s (%s): unexpected NEEDS_REVIEW: %s", cr.wfID, cr.sc.name, cr.reviewReason)
		}
		switch {
		case cr.failure != nil:
			c.fail("%s (%s): workflow did not complete: %v", cr.wfID, cr.sc.name, cr.failure)
			sf.states["FAILED"]++
		case !cr.done:
			c.fail("%s (%s): no final state before the deadline (last error: %v)", cr.wfID, cr.sc.name, cr.lastErr)
			sf.states["NO_RESULT"]++
		default:
			st := cr.st
			d := cr.finished.Sub(cr.started)
			c.took, sf.took = append(c.took, d), append(sf.took, d)
			c.byState[st.Final]++
			sf.states[st.Final]++
			c.cancelAttempts += st.CancelAttempts
			if st.Runs > c.maxRuns {
				c.maxRuns = st.Runs
			}
			if contract.IsFinal(st.Final) && st.State == st.Final {
				c.reachedFinal++
			} else {
				c.fail("%s (%s): result state %s, final %q", cr.wfID, cr.sc.name, st.State, st.Final)
			}
			want, late := cr.expected()
			if late {
				c.lateSignals++
			}
			if _, ok := want[st.Final]; ok {
				c.asExpected++
				sf.ok++
			} else {
				extra := ""
				if cr.sc.signalPaid {
					extra = fmt.Sprintf("; PAID signal accepted %s before the pay deadline %s",
						st.PayDeadline.Sub(cr.signalAt).Round(100*time.Millisecond), st.PayDeadline.Format("15:04:05.0"))
				}
				c.fail("%s (%s): final %s, want %s (review %s, last outcome %s%s)", cr.wfID, cr.sc.name, st.Final, cr.want, st.ReviewReason, st.LastOutcome.String(), extra)
			}
			if cr.sc.review && st.Resolution != nil {
				c.reviewsResolved++
			}
			h.checkNotifications(c, cr)
		}
		h.checkSandbox(c, cr)
		cr.mu.Unlock()
	}
	h.merchant2.mu.Unlock()
	h.merchant.mu.Unlock()
	for _, r := range h.recon {
		switch {
		case r.Err != nil:
			c.fail("reconciliation %s: %v", r.ID, r.Err)
		case len(r.Report.Disagreements) > 0:
			c.fail("reconciliation %s: %d disagreements: %+v", r.ID, len(r.Report.Disagreements), r.Report.Disagreements)
		}
	}
	if err := h.checkExecutions(ctx, c, res); err != nil {
		return nil, err
	}
	return c, nil
}

// checkTenancy: the two merchants' cancels of one order number stay apart. Each
// pair has two workflows, two business keys; each merchant's receiver got only its
// own cancels' notifications; each merchant's sandboxes saw only its own keys.
// (Called with both receivers locked.)
func (h *harness) checkTenancy(c *checkResult) {
	byOrder := map[string][]*cancelRun{}
	for _, cr := range h.cancels {
		byOrder[cr.provider+"/"+cr.order] = append(byOrder[cr.provider+"/"+cr.order], cr)
	}
	for _, pair := range byOrder {
		if len(pair) != 2 {
			continue
		}
		c.sharedOrders++
		a, b := pair[0], pair[1]
		if a.merchant == b.merchant || a.wfID == b.wfID {
			c.tenancyViolations++
			c.fail("%s and %s: one order number, not two merchants' cancels", a.wfID, b.wfID)
			continue
		}
		if a.done && b.done && a.st.CancelKey == b.st.CancelKey {
			c.tenancyViolations++
			c.fail("%s and %s share the business key %q", a.wfID, b.wfID, a.st.CancelKey)
		}
	}
	for _, cr := range h.cancels {
		other := h.merchant2
		if cr.merchant == secondMerchant {
			other = h.merchant
		}
		if seen := other.seen[cr.wfID]; len(seen) > 0 {
			c.tenancyViolations++
			c.fail("%s: the other merchant received its notifications: %v", cr.wfID, seen)
		}
		if cr.provider == "payermax" && cr.done {
			// PayerMax records the requestId: a merchant's sandbox sees only its keys.
			store, _ := h.setOf(cr.merchant).Store(cr.provider)
			if p, ok := store.Get(cr.order, ""); ok {
				for _, rec := range p.Cancels {
					if rec.Key != cr.st.CancelKey {
						c.tenancyViolations++
						c.fail("%s: its account's sandbox got the key %q, not its own %q", cr.wfID, rec.Key, cr.st.CancelKey)
						break
					}
				}
			}
		}
	}
}

func (h *harness) checkSandbox(c *checkResult, cr *cancelRun) {
	store, _ := h.setOf(cr.merchant).Store(cr.provider)
	p, ok := store.Get(cr.order, "")
	if !ok {
		c.fail("%s: no sandbox payment", cr.wfID)
		return
	}
	c.ordersChecked++
	eff := p.EffectiveCancels()
	// What the sandbox must show follows the state the cancel ended in when that
	// state was allowed, else the state it should have ended in.
	wantStates, _ := cr.expected()
	allowed, ok := wantStates[cr.st.Final]
	if !cr.done || !ok {
		allowed = []int{0}
		if cr.want == contract.StateCancelled {
			allowed = []int{1}
		}
	}
	okEff := false
	for _, a := range allowed {
		okEff = okEff || eff == a
	}
	// The trust invariant, whatever the scenario expected: no cancel ends CANCELLED
	// unless the sandbox recorded that cancel as effective.
	if cr.done && cr.st.Final == contract.StateCancelled && eff == 0 {
		c.cancelledWithoutEffect++
		c.fail("%s (%s): CANCELLED, but the sandbox recorded no effective cancel (cancels: %+v, last outcome %s)",
			cr.wfID, cr.sc.name, p.Cancels, cr.st.LastOutcome.String())
	}
	switch {
	case !okEff:
		c.effectiveWrong++
		c.fail("%s (%s): %d effective cancels at the sandbox, want %v (cancels: %+v)", cr.wfID, cr.sc.name, eff, allowed, p.Cancels)
	case eff == 1:
		c.effectiveOne++
	default:
		c.effectiveZero++
	}
	c.cancelCalls += len(p.Cancels)
	if len(p.Cancels) > c.maxCallsPerOrder {
		c.maxCallsPerOrder = len(p.Cancels)
	}
	for _, rec := range p.Cancels {
		if rec.Fault == "timeout_after_effect" {
			c.afterEffectOrders++
			break
		}
	}
	for _, rec := range p.Cancels {
		if rec.Key != p.Cancels[0].Key {
			c.keyMismatch++
			c.fail("%s: business key changed: %q then %q", cr.wfID, p.Cancels[0].Key, rec.Key)
			break
		}
	}
	if cr.provider == "payermax" && len(p.Cancels) > 0 && cr.done && p.Cancels[0].Key != cr.st.CancelKey {
		c.fail("%s: PayerMax requestId %q is not the workflow's cancel key %q", cr.wfID, p.Cancels[0].Key, cr.st.CancelKey)
	}
}

func (h *harness) checkNotifications(c *checkResult, cr *cancelRun) {
	st := cr.st
	seen := h.receiverOf(cr.merchant).seen[cr.wfID]
	ids := seen[st.Final]
	switch {
	case !st.Notify.Delivered || len(ids) == 0:
		c.notifyMissing++
		c.fail("%s: merchant notification of %s not delivered (status %+v, received %v)", cr.wfID, st.Final, st.Notify, seen)
	default:
		c.notifyDelivered++
	}
	for state, ids := range seen {
		if len(ids) != 1 {
			c.notifyIDProblems++
			c.fail("%s: %s notification arrived with %d different webhook-ids: %v", cr.wfID, state, len(ids), ids)
		}
	}
	if len(ids) == 1 {
		for id := range ids {
			if id != st.Notify.EventID {
				c.notifyIDProblems++
				c.fail("%s: merchant got webhook-id %s, the workflow says %s", cr.wfID, id, st.Notify.EventID)
			}
		}
	}
	// A review's notice is delivered at most once, with one id. None is right
	// when the operator resolved the review while the notice was still being
	// retried (the merchant refused its first try): the resolution ends that
	// schedule, and the final outcome's notification (checked above) follows.
	if cr.sc.review && len(seen[contract.StateNeedsReview]) > 1 {
		c.fail("%s: the NEEDS_REVIEW notification was not delivered at-most-once-with-one-id: %v", cr.wfID, seen[contract.StateNeedsReview])
	}
}

// checkExecutions lists every execution (visibility), checks none ended other
// than Completed or ContinuedAsNew, and fetches and replays every history.
func (h *harness) checkExecutions(ctx context.Context, c *checkResult, res *runResult) error {
	var execs []*workflowListEntry
	deadline := time.Now().Add(45 * time.Second)
	for {
		var err error
		execs, err = h.listExecutions(ctx)
		if err != nil {
			return err
		}
		running := 0
		for _, e := range execs {
			if e.status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				running++
			}
		}
		// Visibility trails the history a little: wait for it to show the cancels closed.
		if (running == 0 && len(execs) >= len(h.cancels)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	c.executions = len(execs)
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflowWithOptions(workflows.CancelPaymentWorkflow, workflow.RegisterOptions{Name: contract.WorkflowName})
	replayer.RegisterWorkflowWithOptions(workflows.ReconcileWorkflow, workflow.RegisterOptions{Name: contract.ReconcileWorkflowName})
	res.histJSON = map[string][]byte{}
	for _, e := range execs {
		name := strings.TrimPrefix(e.status.String(), "WORKFLOW_EXECUTION_STATUS_")
		c.execByStatus[name]++
		switch e.status {
		case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		default:
			c.fail("execution %s/%s (%s) is %s", e.id, e.runID, e.typ, name)
		}
		if e.status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			continue
		}
		hist, err := h.history(ctx, e.id, e.runID)
		if err != nil {
			return fmt.Errorf("history of %s/%s: %w", e.id, e.runID, err)
		}
		key := e.id + "/" + e.runID
		if res.histJSON[key], err = historyJSON(hist); err != nil {
			return err
		}
		c.historyFigures(hist)
		// Under the id it ran with: a cancel checks its id against its request.
		opts := worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: e.id, RunID: e.runID}}
		if err := replayer.ReplayWorkflowHistoryWithOptions(quietLogger(), hist, opts); err != nil {
			c.replayFailed++
			c.fail("replay of %s/%s (%s, %d events): %v", e.id, e.runID, e.typ, len(hist.Events), err)
			continue
		}
		c.replayed++
	}
	return nil
}

func (c *checkResult) historyFigures(hist *historypb.History) {
	scheduled := map[int64]time.Time{}
	c.historyEvents += len(hist.Events)
	for _, ev := range hist.Events {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
			scheduled[ev.GetEventId()] = ev.GetEventTime().AsTime()
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			if at, ok := scheduled[ev.GetWorkflowTaskStartedEventAttributes().GetScheduledEventId()]; ok {
				c.wftWaits = append(c.wftWaits, ev.GetEventTime().AsTime().Sub(at))
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
			c.wftTimedOut++
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
			a := ev.GetWorkflowTaskFailedEventAttributes()
			cause := strings.TrimPrefix(a.GetCause().String(), "WORKFLOW_TASK_FAILED_CAUSE_")
			c.wftFailed[cause]++
			if a.GetCause() != enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND {
				// A panic or non-determinism in workflow code, not a crash of the worker.
				c.fail("workflow task failed (%s): %s", cause, a.GetFailure().GetMessage())
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			if a := ev.GetActivityTaskStartedEventAttributes().GetAttempt(); a > 1 {
				c.activityRetries += int(a - 1)
			}
		}
	}
}

type workflowListEntry struct {
	id, runID, typ string
	status         enumspb.WorkflowExecutionStatus
}

func (h *harness) listExecutions(ctx context.Context) ([]*workflowListEntry, error) {
	var out []*workflowListEntry
	var token []byte
	for {
		lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		resp, err := h.c.ListWorkflow(lctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", PageSize: 500, NextPageToken: token})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("listing executions: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			out = append(out, &workflowListEntry{id: e.GetExecution().GetWorkflowId(), runID: e.GetExecution().GetRunId(),
				typ: e.GetType().GetName(), status: e.GetStatus()})
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			return out, nil
		}
	}
}

func (h *harness) history(ctx context.Context, id, runID string) (*historypb.History, error) {
	hctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	it := h.c.GetWorkflowHistory(hctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return nil, err
		}
		hist.Events = append(hist.Events, ev)
	}
	return hist, nil
}

// historyJSON renders a history as JSON (as `temporal workflow show --output json`
// does) with every payload's data and metadata decoded from base64 (the JSON form
// leaves them encoded, which would hide a secret inside a payload from a text
// search), followed by the decoded payload texts.
func historyJSON(hist *historypb.History) ([]byte, error) {
	raw, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(hist)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	var texts []string
	decodePayloads(v, &texts)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	for _, t := range texts {
		buf.WriteString(t)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

func decodePayloads(v any, texts *[]string) {
	switch x := v.(type) {
	case map[string]any:
		if data, ok := x["data"].(string); ok {
			if md, ok := x["metadata"].(map[string]any); ok {
				if b, err := base64.StdEncoding.DecodeString(data); err == nil && utf8.Valid(b) {
					x["data"] = string(b)
					*texts = append(*texts, string(b))
				}
				for k, mv := range md {
					if s, ok := mv.(string); ok {
						if b, err := base64.StdEncoding.DecodeString(s); err == nil && utf8.Valid(b) {
							md[k] = string(b)
						}
					}
				}
			}
		}
		for _, e := range x {
			decodePayloads(e, texts)
		}
	case []any:
		for _, e := range x {
			decodePayloads(e, texts)
		}
	}
}

// ---- secrets ----

type needle struct {
	kind, file, text string
}

type secretNeedles struct {
	needles                       []needle
	files                         int
	histBytes, logBytes, logLines int
	controls, controlErrors       []string
	orders                        map[string]string // execution key prefix (workflow id) → merchant order number
}

// collectSecrets gathers every secret the run generated: each key file under the
// sandbox key folder (PEM bodies line by line and whole, bare base64 key text),
// the GNETE app secret, and the merchant notification secret.
func (h *harness) collectSecrets() (*secretNeedles, []string, error) {
	s := &secretNeedles{orders: map[string]string{}}
	for _, cr := range h.cancels {
		s.orders[cr.wfID] = cr.order
	}
	add := func(kind, file, text string) {
		text = strings.TrimSpace(text)
		if len(text) >= 16 {
			s.needles = append(s.needles, needle{kind, file, text})
		}
	}
	err := filepath.WalkDir(filepath.Join(h.root, "sandbox-keys"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s.files++
		rel, _ := filepath.Rel(h.root, path)
		text := string(data)
		if !strings.Contains(text, "-----BEGIN") {
			kind := "key text"
			if strings.Contains(path, "gnete") {
				kind = "GNETE app secret"
			}
			add(kind, rel, text)
			for i := 0; i+64 <= len(strings.TrimSpace(text)) && len(strings.TrimSpace(text)) > 64; i += 64 {
				add(kind+" (64-char piece)", rel, strings.TrimSpace(text)[i:i+64])
			}
			return nil
		}
		kind := "public key PEM"
		if strings.Contains(text, "PRIVATE KEY") {
			kind = "private key PEM"
		}
		var body []string
		in := false
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, "-----BEGIN"):
				in, body = true, nil
			case strings.HasPrefix(line, "-----END"):
				in = false
				add(kind+" body", rel, strings.Join(body, ""))
			case in && line != "":
				body = append(body, line)
				add(kind+" line", rel, line)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	s.files++
	add("merchant notification secret", "config/merchant-notify.secret", h.merchantSecret)
	add("merchant notification key (base64)", "config/merchant-notify.secret", strings.TrimPrefix(h.merchantSecret, "whsec_"))
	s.files++
	add("merchant notification secret", "config/second-merchant-notify.secret", h.merchant2Secret)
	add("merchant notification key (base64)", "config/second-merchant-notify.secret", strings.TrimPrefix(h.merchant2Secret, "whsec_"))
	logs, err := filepath.Glob(filepath.Join(h.root, "logs", "worker*.log"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(logs)
	return s, logs, nil
}

func (s *secretNeedles) kinds() string {
	n := map[string]int{}
	for _, x := range s.needles {
		k := x.kind
		if i := strings.Index(k, " ("); i > 0 {
			k = k[:i]
		}
		n[k]++
	}
	var parts []string
	for k, v := range n {
		parts = append(parts, fmt.Sprintf("%d %s", v, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// scan searches every history and log for every needle; it returns the hits and
// runs positive controls (the decoded JSON really holds payload text; the logs
// really hold the workers' activity lines).
func (s *secretNeedles) scan(histJSON map[string][]byte, logs []string) []string {
	var hits []string
	s.controls, s.controlErrors = nil, nil
	s.histBytes, s.logBytes, s.logLines = 0, 0, 0
	search := func(where string, data []byte) {
		for _, n := range s.needles {
			if bytes.Contains(data, []byte(n.text)) {
				hits = append(hits, fmt.Sprintf("%s (%s) found in %s", n.kind, n.file, where))
			}
		}
	}
	keys := make([]string, 0, len(histJSON))
	for k := range histJSON {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	decodedOrders := 0
	for _, k := range keys {
		s.histBytes += len(histJSON[k])
		search("history "+k, histJSON[k])
		id := k[:strings.LastIndex(k, "/")]
		if order, ok := s.orders[id]; ok && bytes.Contains(histJSON[k], []byte(`"merchantOrderNo":"`+order+`"`)) {
			decodedOrders++
		}
	}
	if decodedOrders < len(s.orders) {
		s.controlErrors = append(s.controlErrors, fmt.Sprintf("only %d of %d cancels' histories show their decoded input", decodedOrders, len(s.orders)))
	}
	s.controls = append(s.controls, fmt.Sprintf("%d of %d cancels' histories show their decoded input payload (the search sees inside payloads)", decodedOrders, len(s.orders)))
	activityLines := 0
	for _, path := range logs {
		data, err := os.ReadFile(path)
		if err != nil {
			s.controlErrors = append(s.controlErrors, err.Error())
			continue
		}
		s.logBytes += len(data)
		s.logLines += bytes.Count(data, []byte("\n"))
		activityLines += bytes.Count(data, []byte(`"cancel sent"`))
		search("log "+filepath.Base(path), data)
	}
	if activityLines == 0 {
		s.controlErrors = append(s.controlErrors, "no \"cancel sent\" line in the worker logs: were they captured?")
	}
	s.controls = append(s.controls, fmt.Sprintf("%d \"cancel sent\" activity lines in %d worker log files (the logs were captured)", activityLines, len(logs)))
	return hits
}
