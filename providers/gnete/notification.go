package gnete

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/paycancel/paycancel/providers"
)

// ParseNotification verifies and parses a cancel notification (the Unified Cancel page "Cancel
// Notification"): POST application/x-www-form-urlencoded to the notifyUrl of the
// cancel request, every field a string, plus reqTime and sign (the same MD5 over
// all fields but sign). It reports the cancel's state: 2 → Succeeded, 3/4 →
// Failed, 0/1 → Pending; ProviderRef is the cancelOrderId.
//
// The notification names the payment by payOrderId (mchOrderNo is not among its
// documented fields; it is taken when present).
func (c *Client) ParseNotification(_ http.Header, body []byte) (providers.Notification, error) {
	return parseNotification(body, c.secret, c.cfg.MchNo, c.cfg.AppID)
}

func parseNotification(body []byte, secret providers.Secret, mchNo, appID string) (providers.Notification, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return providers.Notification{}, fmt.Errorf("%w: not a form body: %v", providers.ErrMalformed, err)
	}
	params := make(map[string]any, len(values))
	for k, vs := range values {
		if len(vs) != 1 {
			// A repeated field would make "which value was signed" ambiguous.
			return providers.Notification{}, fmt.Errorf("%w: field %q given %d times", providers.ErrMalformed, k, len(vs))
		}
		params[k] = vs[0]
	}
	sign := Text(params, "sign")
	if sign == "" {
		return providers.Notification{}, fmt.Errorf("%w: no sign", providers.ErrBadSignature)
	}
	if !Verify(params, secret, sign) {
		return providers.Notification{}, fmt.Errorf("%w: cancel notification sign", providers.ErrBadSignature)
	}
	// Signed with our secret; still check it is about our merchant and app.
	if v := Text(params, "mchNo"); v != "" && v != mchNo {
		return providers.Notification{}, fmt.Errorf("%w: mchNo %q is not ours", providers.ErrMalformed, v)
	}
	if v := Text(params, "appId"); v != "" && v != appID {
		return providers.Notification{}, fmt.Errorf("%w: appId %q is not ours", providers.ErrMalformed, v)
	}
	ref := Text(params, "cancelOrderId")
	payOrderID := Text(params, "payOrderId")
	if ref == "" || payOrderID == "" {
		return providers.Notification{}, fmt.Errorf("%w: cancelOrderId and payOrderId are required", providers.ErrMalformed)
	}
	state, ok := toInt(params["state"])
	if !ok {
		return providers.Notification{}, fmt.Errorf("%w: state %q", providers.ErrMalformed, Text(params, "state"))
	}
	if _, known := cancelStates[state]; !known {
		return providers.Notification{}, fmt.Errorf("%w: undocumented cancel state %d", providers.ErrMalformed, state)
	}
	o := cancelStateOutcome(state, Text(params, "errCode"), Text(params, "errMsg"), ref)
	if o.Kind == providers.Unknown {
		// A channel "system error" on a finished cancel order: the order failed;
		// a notification reports Succeeded, Failed or Pending only.
		o = providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonRejected, Code: o.Code, Message: o.Message, ProviderRef: ref}
	}
	return providers.Notification{
		Provider:    Name,
		Type:        providers.NotifyCancelResult,
		Target:      providers.Target{MerchantOrderNo: Text(params, "mchOrderNo"), ProviderPaymentID: payOrderID},
		ProviderRef: ref,
		Outcome:     o,
	}, nil
}

// Ack is the plain body "success" (the Unified Cancel page: case-insensitive, no spaces or line
// breaks around it); anything else makes the gateway send again.
func (c *Client) Ack() (contentType string, body []byte) {
	return "text/plain; charset=utf-8", []byte("success")
}
