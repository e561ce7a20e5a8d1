package providers

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecides(t *testing.T) {
	rows := []struct {
		o    Outcome
		want bool
	}{
		{Outcome{Kind: Succeeded}, true},
		{Outcome{Kind: AlreadyDone}, true},
		{Outcome{Kind: Failed, Reason: ReasonAlreadyPaid}, true},
		{Outcome{Kind: Failed, Reason: ReasonPaymentClosed}, true},
		{Outcome{Kind: Pending}, false},
		{Outcome{Kind: Unknown}, false},
		{Outcome{Kind: Failed, Reason: ReasonNotFound}, false},
		{Outcome{Kind: Failed, Reason: ReasonConfiguration}, false},
		{Outcome{Kind: Failed, Reason: ReasonWindowExpired}, false},
		{Outcome{Kind: Failed, Reason: ReasonRateLimited}, false},
		{Outcome{Kind: Failed, Reason: ReasonInvalidRequest}, false},
		{Outcome{Kind: Failed, Reason: ReasonRejected}, false},
	}
	for _, r := range rows {
		if got := Decides(r.o); got != r.want {
			t.Errorf("Decides(%s) = %v", r.o, got)
		}
	}
}

func TestCheckIDs(t *testing.T) {
	if _, ok := CheckIDs("answer", IDCheck{"a", "1", "1"}, IDCheck{"b", "", "x"}, IDCheck{"c", "y", ""}); !ok {
		t.Fatal("absent ids on either side must pass")
	}
	o, ok := CheckIDs("pay query answer", IDCheck{"mchOrderNo", "M-1", "M-1"}, IDCheck{"payOrderId", "P1", "P2"})
	if ok || o.Kind != Unknown || o.Code != CodeIDMismatch || !strings.Contains(o.Message, `payOrderId "P2" (asked about "P1")`) {
		t.Fatalf("mismatch: %s", o)
	}
}

func TestUnsigned(t *testing.T) {
	called := 0
	confirmWith := func(o Outcome) func() Outcome {
		return func() Outcome { called++; return o }
	}
	claim := Outcome{Kind: AlreadyDone, Code: "-5", Message: "already cancelled", ProviderRef: "R1"}

	// Failures that lead to review pass, and nothing is asked.
	fail := Outcome{Kind: Failed, Reason: ReasonNotFound, Code: "-3"}
	if got := Unsigned(fail, confirmWith(Outcome{Kind: Succeeded})); got != fail || called != 0 {
		t.Fatalf("failure: %s (asked %d)", got, called)
	}
	// A claim without a confirmation is Unknown.
	if got := Unsigned(claim, nil); got.Kind != Unknown || got.Code != CodeUnsignedClaim || got.ProviderRef != "R1" || !strings.Contains(got.Message, "already cancelled") {
		t.Fatalf("unconfirmed: %s", got)
	}
	// Confirmed: the signed answer's decision, whatever the claim said.
	for _, c := range []Outcome{{Kind: AlreadyDone, Code: "CLOSED"}, {Kind: Failed, Reason: ReasonAlreadyPaid, Code: "SUCCESS"}, {Kind: Failed, Reason: ReasonPaymentClosed}} {
		got := Unsigned(claim, confirmWith(c))
		if got.Kind != c.Kind || got.Reason != c.Reason || got.Code != c.Code || !strings.Contains(got.Message, "confirmed by the signed status query") {
			t.Fatalf("confirmed by %s: %s", c, got)
		}
	}
	// Not confirmed: pending, unknown or a review failure from the query → Unknown.
	for _, c := range []Outcome{{Kind: Pending, Code: "NOTPAY"}, {Kind: Unknown, Code: CodeIDMismatch}, {Kind: Failed, Reason: ReasonRateLimited}} {
		got := Unsigned(claim, confirmWith(c))
		if got.Kind != Unknown || got.Code != CodeUnsignedClaim || !strings.Contains(got.Message, c.Code+"") {
			t.Fatalf("not confirmed by %s: %s", c, got)
		}
	}
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKeyFloors: merchant private keys under 2048 bits and provider public keys
// under 1024 bits fail to load, naming the field, the file and the reason; a
// provider known to issue smaller keys (Ksher, 512) gets its own floor.
func TestKeyFloors(t *testing.T) {
	dir := t.TempDir()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p8, _ := x509.MarshalPKCS8PrivateKey(small)
	smallPriv := writePEM(t, dir, "merchant-1024.pem", "PRIVATE KEY", p8)
	_, err = LoadPrivateKey(SecretRef{File: "merchant-1024.pem"}, dir, "merchantPrivateKey")
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "merchantPrivateKey" || !strings.Contains(err.Error(), smallPriv) ||
		!strings.Contains(err.Error(), "1024-bit") || !strings.Contains(err.Error(), "at least 2048 bits") {
		t.Fatalf("1024-bit merchant key: %v", err)
	}
	_, err = LoadPrivateKey(SecretRef{Env: "PAYCANCEL_TEST_SMALL_KEY"}, dir, "merchantPrivateKey")
	if err == nil {
		t.Fatal("an unset variable loaded")
	}
	t.Setenv("PAYCANCEL_TEST_SMALL_KEY", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})))
	if _, err = LoadPrivateKey(SecretRef{Env: "PAYCANCEL_TEST_SMALL_KEY"}, dir, "merchantPrivateKey"); err == nil ||
		!strings.Contains(err.Error(), "environment variable PAYCANCEL_TEST_SMALL_KEY holds a 1024-bit RSA key") {
		t.Fatalf("1024-bit key from the environment: %v", err)
	}

	// 1024 bits is the provider floor: a 1024-bit public key loads.
	spki, _ := x509.MarshalPKIXPublicKey(&small.PublicKey)
	writePEM(t, dir, "provider-1024.pem", "PUBLIC KEY", spki)
	if _, err := LoadPublicKey(SecretRef{File: "provider-1024.pem"}, dir, "providerPublicKey"); err != nil {
		t.Fatalf("1024-bit provider key: %v", err)
	}
	// Ksher's 512-bit key: refused by the general floor, accepted by Ksher's.
	ksher := SecretRef{File: filepath.Join("ksher", "testdata", "ksher512_public.pem")}
	_, err = LoadPublicKey(ksher, "", "providerPublicKey")
	if !errors.As(err, &fe) || fe.Field != "providerPublicKey" || !strings.Contains(err.Error(), "ksher512_public.pem holds a 512-bit RSA key") ||
		!strings.Contains(err.Error(), "at least 1024 bits") {
		t.Fatalf("512-bit provider key: %v", err)
	}
	if k, err := LoadPublicKeyMin(ksher, "", "ksherPublicKey", 512); err != nil || k.N.BitLen() != 512 {
		t.Fatalf("Ksher's floor: %v", err)
	}
}
