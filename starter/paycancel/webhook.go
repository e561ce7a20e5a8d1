package paycancel

import (
	"net/http"
	"time"

	"github.com/paycancel/paycancel/workflows/contract/webhook"
)

// VerifyWebhook verifies a merchant notification paycancel sent to an order
// service's notify URL (Standard Webhooks: webhook-id, webhook-timestamp,
// webhook-signature over "<id>.<timestamp>.<raw body>", HMAC-SHA256 with the
// merchant's secret "whsec_…"). Pass the raw body, before any JSON decoding. The
// timestamp must be within tolerance of now (0: 5 minutes). It returns the event
// id, which is stable across retries and resends: use it to drop duplicates.
func VerifyWebhook(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) (string, error) {
	return webhook.Verify(secret, h, body, now, tolerance)
}
