package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// MaxResponseBytes bounds what we read from a provider (1 MiB); a longer body is garbage.
const MaxResponseBytes = 1 << 20

// Response is a provider's raw HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Post sends body to url with the given headers and reads the answer. When the
// exchange fails — refused, reset, timed out, cut short — it returns an Unknown
// outcome instead of a response: once a request may have left, its effect is
// unknown, never failed (the provider's API notes, "Everywhere"). ok is false then.
func Post(ctx context.Context, client *http.Client, url string, header http.Header, body []byte) (resp Response, failure Outcome, ok bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Response{}, FailedOutcome(ReasonConfiguration, CodeLocalConfigFail, "bad provider URL: "+err.Error()), false
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if client == nil {
		client = http.DefaultClient
	}
	start := time.Now()
	r, err := client.Do(req)
	if err != nil {
		return Response{}, UnknownOutcome(CodeTransport, "%s after %s", describeTransportError(err), time.Since(start).Round(time.Millisecond)), false
	}
	defer r.Body.Close()
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes+1))
	if err != nil {
		return Response{}, UnknownOutcome(CodeTransport, "reading response: %s", describeTransportError(err)), false
	}
	if len(data) > MaxResponseBytes {
		return Response{}, UnknownOutcome(CodeBadResponse, "response larger than %d bytes", MaxResponseBytes), false
	}
	return Response{Status: r.StatusCode, Header: r.Header, Body: data}, Outcome{}, true
}

func describeTransportError(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg, "://") {
		// Drop the URL net/http puts in front; keep the cause.
		msg = msg[i+2:]
	}
	return msg
}

// BaseURL reads a configured base URL that API paths are appended to: it trims
// spaces and trailing slashes and checks that the URL is given, absolute http(s)
// with a host, and carries no query, fragment or user info (a query or fragment
// would end up in the middle of every request URL; user info would put a
// credential where URLs get logged). It returns the trimmed URL; errors are
// FieldErrors on field.
func BaseURL(field, raw string) (string, error) {
	base := strings.TrimRight(strings.TrimSpace(raw), "/")
	if base == "" {
		return "", FieldErr(field, "required")
	}
	// The errors never quote the URL: it may carry a password.
	u, err := url.Parse(base)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "", FieldErr(field, "must be an absolute http(s) URL")
	case u.User != nil:
		return "", FieldErr(field, "must not carry user info")
	case u.RawQuery != "" || u.Fragment != "":
		return "", FieldErr(field, "must not carry a query or fragment")
	}
	return base, nil
}

// HTTPStatusOutcome maps a non-2xx status without a readable provider answer.
// 429 is a rate limit (honouring Retry-After seconds); everything else is unknown:
// a 5xx may come from a proxy after the provider acted.
func HTTPStatusOutcome(resp Response) Outcome {
	if resp.Status == http.StatusTooManyRequests {
		o := FailedOutcome(ReasonRateLimited, fmt.Sprintf("HTTP_%d", resp.Status), "rate limited")
		if s := resp.Header.Get("Retry-After"); s != "" {
			var secs int
			if _, err := fmt.Sscanf(s, "%d", &secs); err == nil && secs > 0 {
				o.RetryAfter = time.Duration(secs) * time.Second
			}
		}
		return o
	}
	return UnknownOutcome(CodeHTTPStatus, "HTTP %d: %s", resp.Status, Snippet(resp.Body))
}

// Snippet shortens a body for an error message (it never holds secrets: it is what
// the provider sent us).
func Snippet(b []byte) string {
	const max = 200
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
