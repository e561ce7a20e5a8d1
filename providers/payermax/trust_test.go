package payermax

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
)

// fakeGateway answers cancel and orderQuery with scripted, signed data.
func fakeGateway(t *testing.T, cancelData, orderData map[string]any) *Client {
	t.Helper()
	key := loadPrivate(t, "testdata/provider_private.pem")
	write := func(w http.ResponseWriter, data map[string]any) {
		body, _ := json.Marshal(map[string]any{"code": CodeApplySuccess, "msg": "Success.", "data": data})
		sign, err := Sign(key, body)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set(SignHeader, sign)
		_, _ = w.Write(body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+GatewayPath+"/cancel", func(w http.ResponseWriter, r *http.Request) { write(w, cancelData) })
	mux.HandleFunc("POST "+GatewayPath+"/orderQuery", func(w http.ResponseWriter, r *http.Request) { write(w, orderData) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL + GatewayPath, AppID: testAppID,
		MerchantPrivateKey: providers.SecretRef{File: "testdata/merchant_private.b64"},
		ProviderPublicKey:  providers.SecretRef{File: "testdata/provider_public.pem"}},
		providers.Deps{HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestUndocumentedErrorCodesConfirmed: a FAILED cancel's errorCode is signed but
// undocumented; "already cancelled" / "captured" decide only once orderQuery
// confirms, and an answer naming another requestId or order is Unknown.
func TestUndocumentedErrorCodesConfirmed(t *testing.T) {
	failed := func(code string) map[string]any {
		return map[string]any{"requestId": "k1", "outTradeNo": "o1", "status": "FAILED", "errorCode": code, "errorMsg": "x"}
	}
	order := func(outTradeNo, status string) map[string]any {
		return map[string]any{"outTradeNo": outTradeNo, "status": status, "resultMsg": ""}
	}
	rows := []struct {
		name   string
		cancel map[string]any
		order  map[string]any
		kind   providers.Kind
		reason providers.Reason
		code   string
	}{
		{"already cancelled, CLOSED", failed(ErrCodeAlreadyCancelled), order("o1", "CLOSED"), providers.AlreadyDone, "", "CLOSED"},
		{"already cancelled, PENDING", failed(ErrCodeAlreadyCancelled), order("o1", "PENDING"), providers.Unknown, "", providers.CodeUnsignedClaim},
		{"ORDER_CANCELLED, SUCCESS", failed("ORDER_CANCELLED"), order("o1", "SUCCESS"), providers.Failed, providers.ReasonAlreadyPaid, "SUCCESS"},
		{"already cancelled, another order's CLOSED", failed(ErrCodeAlreadyCancelled), order("o2", "CLOSED"), providers.Unknown, "", providers.CodeUnsignedClaim},
		{"captured, SUCCESS", failed(ErrCodeCaptured), order("o1", "SUCCESS"), providers.Failed, providers.ReasonAlreadyPaid, "SUCCESS"},
		{"captured, PENDING", failed(ErrCodeCaptured), order("o1", "PENDING"), providers.Unknown, "", providers.CodeUnsignedClaim},
		{"captured by words, FAILED payment", failed("PAYMENT_ALREADY_CAPTURED"), order("o1", "FAILED"), providers.Failed, providers.ReasonPaymentClosed, "FAILED"},
		// Failures that lead to review are not claims.
		{"auth expired", failed(ErrCodeAuthExpired), order("o1", "CLOSED"), providers.Failed, providers.ReasonWindowExpired, ErrCodeAuthExpired},
		// A signed answer about another cancel or order proves nothing.
		{"another requestId", map[string]any{"requestId": "k2", "outTradeNo": "o1", "status": "SUCCESS"}, order("o1", "CLOSED"), providers.Unknown, "", providers.CodeIDMismatch},
		{"another outTradeNo", map[string]any{"requestId": "k1", "outTradeNo": "o2", "status": "SUCCESS"}, order("o1", "CLOSED"), providers.Unknown, "", providers.CodeIDMismatch},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			o := fakeGateway(t, r.cancel, r.order).Cancel(context.Background(),
				providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "o1"}, CancelKey: "k1"})
			if o.Kind != r.kind || o.Reason != r.reason || o.Code != r.code {
				t.Fatalf("got %s, want %s/%s code %s", o, r.kind, r.reason, r.code)
			}
		})
	}
	// orderQuery about another order: unknown, not closed.
	ps := fakeGateway(t, nil, order("o2", "CLOSED")).QueryPayment(context.Background(), providers.Target{MerchantOrderNo: "o1"})
	if ps.State != providers.PaymentUnknown || ps.Outcome.Code != providers.CodeIDMismatch || !strings.Contains(ps.Message, `"o2"`) {
		t.Fatalf("foreign orderQuery: %+v", ps)
	}
}
