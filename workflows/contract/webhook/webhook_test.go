package webhook

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A Standard Webhooks test secret (base64 of "paycancel-webhook-test-key-0001").
const testSecret = "whsec_cGF5Y2FuY2VsLXdlYmhvb2stdGVzdC1rZXktMDAwMQ=="

var (
	testNow  = time.Unix(1_700_000_000, 0)
	testBody = []byte(`{"type":"cancel.outcome","workflowId":"cancel/payermax/o-1","state":"CANCELLED","amount":1299,"currency":"USD"}`)
)

func mustKey(t testing.TB, secret string) []byte {
	t.Helper()
	k, err := Key(secret)
	if err != nil {
		t.Fatalf("Key(%q): %v", secret, err)
	}
	return k
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, secret := range []string{testSecret, "plain-text-secret"} {
		h := Headers(mustKey(t, secret), "evt_123", testNow, testBody)
		id, err := Verify(secret, h, testBody, testNow, 0)
		if err != nil || id != "evt_123" {
			t.Fatalf("secret %.10s…: Verify = %q, %v; want evt_123, nil", secret, id, err)
		}
		if got := h.Get(HeaderTimestamp); got != "1700000000" {
			t.Errorf("timestamp header %q, want Unix seconds", got)
		}
		if sig := h.Get(HeaderSignature); !strings.HasPrefix(sig, "v1,") {
			t.Errorf("signature %q lacks the v1, prefix", sig)
		}
	}
}

// TestKnownVector pins the wire format: HMAC-SHA256 over "<id>.<ts>.<body>" with the
// base64-decoded whsec_ key, as the Standard Webhooks reference libraries compute it.
func TestKnownVector(t *testing.T) {
	// Vector from the Standard Webhooks spec's reference test suite.
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = int64(1614265330)
		body   = `{"test": 2432232314}`
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	if got := Sign(mustKey(t, secret), id, time.Unix(ts, 0), []byte(body)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, want)
	if _, err := Verify(secret, h, []byte(body), time.Unix(ts, 0), 0); err != nil {
		t.Fatalf("Verify(vector): %v", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	key := mustKey(t, testSecret)
	good := func() http.Header { return Headers(key, "evt_1", testNow, testBody) }
	otherKey := mustKey(t, "whsec_"+base64.StdEncoding.EncodeToString([]byte("another-key")))

	cases := []struct {
		name   string
		secret string
		header func() http.Header
		body   []byte
		now    time.Time
		tol    time.Duration
		want   error
	}{
		{"tampered body", testSecret, good, append([]byte(nil), strings.Replace(string(testBody), "1299", "1", 1)...), testNow, 0, ErrNoMatchingSig},
		{"empty body", testSecret, good, nil, testNow, 0, ErrNoMatchingSig},
		{"wrong secret", "whsec_" + base64.StdEncoding.EncodeToString([]byte("another-key")), good, testBody, testNow, 0, ErrNoMatchingSig},
		{"plain secret vs its whsec form", "cGF5Y2FuY2VsLXdlYmhvb2stdGVzdC1rZXktMDAwMQ==", good, testBody, testNow, 0, ErrNoMatchingSig},
		{"tampered id", testSecret, func() http.Header { h := good(); h.Set(HeaderID, "evt_2"); return h }, testBody, testNow, 0, ErrNoMatchingSig},
		{"tampered timestamp", testSecret, func() http.Header {
			h := good()
			h.Set(HeaderTimestamp, strconv.FormatInt(testNow.Unix()+1, 10))
			return h
		}, testBody, testNow, 0, ErrNoMatchingSig},
		{"stale timestamp", testSecret, good, testBody, testNow.Add(DefaultTolerance + time.Second), 0, ErrStaleTimestamp},
		{"future timestamp", testSecret, good, testBody, testNow.Add(-DefaultTolerance - time.Second), 0, ErrStaleTimestamp},
		{"stale for a custom tolerance", testSecret, good, testBody, testNow.Add(31 * time.Second), 30 * time.Second, ErrStaleTimestamp},
		{"timestamp not a number", testSecret, func() http.Header { h := good(); h.Set(HeaderTimestamp, "2023-11-14T22:13:20Z"); return h }, testBody, testNow, 0, ErrBadTimestamp},
		{"timestamp in milliseconds", testSecret, func() http.Header {
			h := good()
			h.Set(HeaderTimestamp, strconv.FormatInt(testNow.UnixMilli(), 10))
			return h
		}, testBody, testNow, 0, ErrStaleTimestamp},
		{"missing id", testSecret, func() http.Header { h := good(); h.Del(HeaderID); return h }, testBody, testNow, 0, ErrMissingHeaders},
		{"missing timestamp", testSecret, func() http.Header { h := good(); h.Del(HeaderTimestamp); return h }, testBody, testNow, 0, ErrMissingHeaders},
		{"missing signature", testSecret, func() http.Header { h := good(); h.Del(HeaderSignature); return h }, testBody, testNow, 0, ErrMissingHeaders},
		{"no headers", testSecret, func() http.Header { return http.Header{} }, testBody, testNow, 0, ErrMissingHeaders},
		{"unknown signature version", testSecret, func() http.Header {
			h := good()
			h.Set(HeaderSignature, strings.Replace(h.Get(HeaderSignature), "v1,", "v1a,", 1))
			return h
		}, testBody, testNow, 0, ErrNoMatchingSig},
		{"signature not base64", testSecret, func() http.Header { h := good(); h.Set(HeaderSignature, "v1,!!!"); return h }, testBody, testNow, 0, ErrNoMatchingSig},
		{"signature without version", testSecret, func() http.Header {
			h := good()
			h.Set(HeaderSignature, strings.TrimPrefix(h.Get(HeaderSignature), "v1,"))
			return h
		}, testBody, testNow, 0, ErrNoMatchingSig},
		{"only other keys' signatures", testSecret, func() http.Header {
			h := good()
			h.Set(HeaderSignature, Sign(otherKey, "evt_1", testNow, testBody)+" "+Sign(otherKey, "evt_1", testNow, testBody))
			return h
		}, testBody, testNow, 0, ErrNoMatchingSig},
		{"malformed whsec secret", "whsec_not*base64", good, testBody, testNow, 0, ErrSecretMalformed},
		{"empty whsec secret", "whsec_", good, testBody, testNow, 0, ErrSecretMalformed},
		{"empty secret", "", good, testBody, testNow, 0, ErrSecretMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := Verify(tc.secret, tc.header(), tc.body, tc.now, tc.tol)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %q, %v; want %v", id, err, tc.want)
			}
			if id != "" {
				t.Errorf("Verify returned id %q with an error", id)
			}
			if strings.Contains(err.Error(), tc.secret) && tc.secret != "" {
				t.Errorf("error %q reveals the secret", err)
			}
		})
	}
}

func TestVerifyToleranceEdges(t *testing.T) {
	key := mustKey(t, testSecret)
	h := Headers(key, "evt_1", testNow, testBody)
	for _, now := range []time.Time{testNow.Add(DefaultTolerance), testNow.Add(-DefaultTolerance)} {
		if _, err := Verify(testSecret, h, testBody, now, 0); err != nil {
			t.Errorf("at exactly the tolerance (%s): %v", now.Sub(testNow), err)
		}
	}
	if _, err := Verify(testSecret, h, testBody, testNow.Add(time.Hour), 2*time.Hour); err != nil {
		t.Errorf("custom 2h tolerance, 1h late: %v", err)
	}
	_, err := Verify(testSecret, h, testBody, testNow.Add(10*time.Minute), 0)
	if err == nil || !strings.Contains(err.Error(), "10m0s off") {
		t.Errorf("stale error %v does not say how far off", err)
	}
}

// TestVerifyRotation: during a secret rotation the sender signs with the old and
// the new key; a receiver holding either verifies.
func TestVerifyRotation(t *testing.T) {
	oldSecret := testSecret
	newSecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("the-rotated-key-of-2024"))
	h := Headers(mustKey(t, oldSecret), "evt_9", testNow, testBody)
	both := Sign(mustKey(t, newSecret), "evt_9", testNow, testBody) + " " + h.Get(HeaderSignature)
	h.Set(HeaderSignature, both)
	for _, s := range []string{oldSecret, newSecret} {
		if id, err := Verify(s, h, testBody, testNow, 0); err != nil || id != "evt_9" {
			t.Errorf("Verify with one of two rotated keys = %q, %v", id, err)
		}
	}
	// Unknown versions and junk among the entries are skipped, not fatal.
	h.Set(HeaderSignature, "v2,abc  v1,!!! "+both)
	if _, err := Verify(newSecret, h, testBody, testNow, 0); err != nil {
		t.Errorf("with junk entries first: %v", err)
	}
	if _, err := Verify("whsec_"+base64.StdEncoding.EncodeToString([]byte("third")), h, testBody, testNow, 0); !errors.Is(err, ErrNoMatchingSig) {
		t.Errorf("a third key verified: %v", err)
	}
}

func TestKey(t *testing.T) {
	k, err := Key(testSecret)
	if err != nil || string(k) != "paycancel-webhook-test-key-0001" {
		t.Fatalf("Key(whsec_…) = %q, %v", k, err)
	}
	k, err = Key("not-prefixed")
	if err != nil || string(k) != "not-prefixed" {
		t.Fatalf("Key(plain) = %q, %v", k, err)
	}
	for _, bad := range []string{"", "whsec_", "whsec_%%%", "whsec_abc"} {
		if _, err := Key(bad); !errors.Is(err, ErrSecretMalformed) {
			t.Errorf("Key(%q) = %v, want ErrSecretMalformed", bad, err)
		}
	}
}

// FuzzVerify: Verify never panics, and accepts only what Sign produced for exactly
// this id, timestamp and body.
func FuzzVerify(f *testing.F) {
	key := mustKey(f, testSecret)
	good := Headers(key, "evt_1", testNow, testBody)
	f.Add("evt_1", good.Get(HeaderTimestamp), good.Get(HeaderSignature), testBody)
	f.Add("evt_1", "1700000000", "v1,", []byte{})
	f.Add("", "", "", []byte(nil))
	f.Add("evt_1", "-1", "v1,AAAA v1,=== v2,x", []byte("{}"))
	f.Add("evt_1", "99999999999999999999", "v1 v1, ,v1", []byte("\x00\xff"))
	f.Add("evt\n1", "1700000000", strings.Repeat("v1,abcd ", 100), testBody)
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		h := http.Header{}
		h.Set(HeaderID, id)
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		got, err := Verify(testSecret, h, body, testNow, 0)
		if err != nil {
			if got != "" {
				t.Fatalf("id %q returned with error %v", got, err)
			}
			return
		}
		// Accepted: the signature must be one Sign makes for these inputs.
		tsv, perr := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
		if perr != nil {
			t.Fatalf("accepted a timestamp that does not parse: %q", ts)
		}
		want := Sign(key, h.Get(HeaderID), time.Unix(tsv, 0), body)
		if !strings.Contains(" "+h.Get(HeaderSignature)+" ", " "+want+" ") && !containsField(h.Get(HeaderSignature), want) {
			t.Fatalf("accepted a signature %q that is not %q", sig, want)
		}
		if got != h.Get(HeaderID) {
			t.Fatalf("returned id %q, header id %q", got, h.Get(HeaderID))
		}
	})
}

func containsField(list, want string) bool {
	for _, f := range strings.Fields(list) {
		if f == want {
			return true
		}
	}
	return false
}
