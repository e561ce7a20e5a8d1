package payermax

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/paycancel/paycancel/providers"
)

// ParseNotification verifies and parses a PayerMax notification.
//
// Doc: PayerMax's OpenAPI file /cancelResultNotifyUrl and
// the provider's API notes "payermax": POST JSON {code, msg, keyVersion, appId,
// merchantNo, notifyTime, notifyType:"CANCEL", data{cancelNo, requestId, outTradeNo,
// status, …}}, signed in header `sign` over the raw body with PayerMax's key. [C]
// Payment notifications (notifyType PAYMENT, /collectResultNotifyUrl,
// /authResultNotifyUrl) are parsed too, into a NotifyPaymentResult.
func (c *Client) ParseNotification(header http.Header, body []byte) (providers.Notification, error) {
	if err := Verify(c.pub, body, header.Get(SignHeader)); err != nil {
		return providers.Notification{}, fmt.Errorf("%w: %v", providers.ErrBadSignature, err)
	}
	return parseNotificationBody(body, c.cfg.AppID)
}

// Ack is the acknowledgement that stops PayerMax's retries. [C]
func (c *Client) Ack() (contentType string, body []byte) {
	return "application/json", append([]byte(nil), ackBody...)
}

// parseNotificationBody parses a verified body. appID, when set, must match the
// notification's appId: a notification for another app was routed to the wrong
// credential set.
func parseNotificationBody(body []byte, appID string) (providers.Notification, error) {
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		return providers.Notification{}, fmt.Errorf("%w: not JSON: %v", providers.ErrMalformed, err)
	}
	if appID != "" && n.AppID != "" && string(n.AppID) != appID {
		return providers.Notification{}, fmt.Errorf("%w: for appId %q, not this credential set", providers.ErrMalformed, n.AppID)
	}
	if len(n.Data) == 0 || string(n.Data) == "null" {
		return providers.Notification{}, fmt.Errorf("%w: no data", providers.ErrMalformed)
	}
	switch string(n.NotifyType) {
	case NotifyTypeCancel:
		var r CancelResult
		if err := json.Unmarshal(n.Data, &r); err != nil {
			return providers.Notification{}, fmt.Errorf("%w: cancel data: %v", providers.ErrMalformed, err)
		}
		if r.RequestID == "" || r.OutTradeNo == "" {
			return providers.Notification{}, fmt.Errorf("%w: cancel data without requestId or outTradeNo", providers.ErrMalformed)
		}
		return providers.Notification{
			Provider:    Name,
			Type:        providers.NotifyCancelResult,
			Target:      providers.Target{MerchantOrderNo: string(r.OutTradeNo)},
			CancelKey:   string(r.RequestID),
			ProviderRef: string(r.CancelNo),
			Outcome:     cancelStatusOutcome(r),
		}, nil
	case notifyTypePayment:
		var r orderResult
		if err := json.Unmarshal(n.Data, &r); err != nil {
			return providers.Notification{}, fmt.Errorf("%w: payment data: %v", providers.ErrMalformed, err)
		}
		if r.OutTradeNo == "" {
			return providers.Notification{}, fmt.Errorf("%w: payment data without outTradeNo", providers.ErrMalformed)
		}
		return providers.Notification{
			Provider: Name,
			Type:     providers.NotifyPaymentResult,
			Target:   providers.Target{MerchantOrderNo: string(r.OutTradeNo), ProviderPaymentID: string(r.TradeToken)},
			Payment:  providers.StateOf(paymentStates, string(r.Status)),
		}, nil
	}
	return providers.Notification{}, fmt.Errorf("%w: notifyType %q is not handled", providers.ErrMalformed, providers.Snippet([]byte(n.NotifyType)))
}
