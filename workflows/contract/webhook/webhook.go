// Package webhook signs and verifies paycancel's merchant notifications in the
// Standard Webhooks style (https://www.standardwebhooks.com): headers webhook-id,
// webhook-timestamp (Unix seconds) and webhook-signature ("v1,<base64 HMAC-SHA256>"
// over "<id>.<timestamp>.<body>"). Order services verify with Verify.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a timestamp may be from the verifier's clock.
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns (wrapped with detail).
var (
	ErrMissingHeaders  = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	ErrBadTimestamp    = errors.New("webhook: timestamp is not Unix seconds")
	ErrStaleTimestamp  = errors.New("webhook: timestamp outside the tolerance")
	ErrNoMatchingSig   = errors.New("webhook: no signature matches")
	ErrSecretMalformed = errors.New("webhook: secret is malformed")
)

// Key decodes a secret: "whsec_<base64>" as Standard Webhooks writes them, else the
// secret's bytes as they are.
func Key(secret string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		k, err := base64.StdEncoding.DecodeString(rest)
		if err != nil || len(k) == 0 {
			return nil, ErrSecretMalformed
		}
		return k, nil
	}
	if secret == "" {
		return nil, ErrSecretMalformed
	}
	return []byte(secret), nil
}

// Sign returns the webhook-signature value for id, timestamp and body.
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, strconv.FormatInt(ts.Unix(), 10), body))
}

// Headers builds the three headers for one delivery attempt.
func Headers(key []byte, id string, ts time.Time, body []byte) http.Header {
	h := http.Header{}
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(key, id, ts, body))
	return h
}

func mac(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a received notification: the signature over the raw body (any of
// the space-separated "v1,…" entries may match, for secret rotation) and a
// timestamp within tolerance of now (0: DefaultTolerance). It returns the event id.
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) (string, error) {
	key, err := Key(secret)
	if err != nil {
		return "", err
	}
	id, tsText, sigs := header.Get(HeaderID), header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return "", ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return "", ErrBadTimestamp
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return "", fmt.Errorf("%w: %s off", ErrStaleTimestamp, d.Round(time.Second))
	}
	want := mac(key, id, tsText, body)
	for _, s := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return id, nil
		}
	}
	return "", ErrNoMatchingSig
}
