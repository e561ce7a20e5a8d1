package ksher

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"

	"github.com/paycancel/paycancel/providers"
)

// ParseNotification verifies and reads Ksher's payment-success webhook.
//
// Doc: Ksher's API notes: payment-success webhooks are the only
// notifications; text/plain JSON {code, msg, data{…, result:"SUCCESS"}, sign}, signed
// like responses (sign over the sorted fields of data, Ksher's key); acknowledged with
// {"result":"SUCCESS","msg":"OK"}. No header carries anything Ksher signs.
func (c *Client) ParseNotification(_ http.Header, body []byte) (providers.Notification, error) {
	return parseNotificationFor(c.ksherKey, body, c.appID)
}

func parseNotification(pub *rsa.PublicKey, body []byte) (providers.Notification, error) {
	return parseNotificationFor(pub, body, "")
}

// parseNotificationFor parses a notification for the merchant appID ("": any).
// Ksher signs every merchant's notifications with its one key, so a notification
// that verifies may still be another merchant's: its data.appid says whose.
func parseNotificationFor(pub *rsa.PublicKey, body []byte, appID string) (providers.Notification, error) {
	r, err := ParseResponse(body)
	if err != nil {
		return providers.Notification{}, fmt.Errorf("%w: %v", providers.ErrMalformed, err)
	}
	if !r.dataIsObject() {
		return providers.Notification{}, fmt.Errorf("%w: no data object", providers.ErrMalformed)
	}
	if err := verifyData(pub, r.Data, r.Sign); err != nil {
		switch {
		case errors.Is(err, errNoSign):
			return providers.Notification{}, fmt.Errorf("%w: the notification is not signed", providers.ErrBadSignature)
		case errors.Is(err, providers.ErrBadSignature):
			return providers.Notification{}, fmt.Errorf("ksher notification: %w", err)
		default:
			return providers.Notification{}, fmt.Errorf("%w: %v", providers.ErrMalformed, err)
		}
	}
	d, err := readOrderData(r.Data)
	if err != nil {
		return providers.Notification{}, fmt.Errorf("%w: %v", providers.ErrMalformed, err)
	}
	if appID != "" && d.AppID != "" && d.AppID != appID {
		return providers.Notification{}, fmt.Errorf("%w: for appid %q, not this credential set", providers.ErrMalformed, d.AppID)
	}
	if d.MchOrderNo == "" {
		return providers.Notification{}, fmt.Errorf("%w: data.mch_order_no is missing", providers.ErrMalformed)
	}
	state, ok := PaymentResults[d.Result]
	if !ok || d.Result == "FAIL" {
		// Ksher only notifies successes; anything else says nothing definite.
		state = providers.PaymentUnknown
	}
	return providers.Notification{
		Provider: Name,
		Type:     providers.NotifyPaymentResult,
		Target:   providers.Target{MerchantOrderNo: d.MchOrderNo},
		Payment:  state,
	}, nil
}

// Ack implements providers.NotificationParser: the exact body Ksher expects.
func (c *Client) Ack() (contentType string, body []byte) {
	return "application/json", []byte(ackBody)
}
