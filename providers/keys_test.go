package providers

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"testing"
)

func TestLoadKeyFieldErrors(t *testing.T) {
	_, err := LoadPrivateKey(SecretRef{Value: NewSecret("not-a-key-SECRET")}, "", "merchantPrivateKey")
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "merchantPrivateKey" || bytes.Contains([]byte(err.Error()), []byte("SECRET")) {
		t.Fatalf("private: %v", err)
	}
	_, err = LoadPublicKey(SecretRef{}, "", "providerPublicKey")
	if !errors.As(err, &fe) || fe.Field != "providerPublicKey" || err.Error() != "providerPublicKey: not set: give file or env" {
		t.Fatalf("public: %v", err)
	}
	for _, tc := range []struct{ url, base, want string }{
		{"", "", "baseURL: required"},
		{" / ", "", "baseURL: required"},
		{"ftp://x", "", "baseURL: must be an absolute http(s) URL"},
		{"https://", "", "baseURL: must be an absolute http(s) URL"},
		{"gw.example/api", "", "baseURL: must be an absolute http(s) URL"},
		{"https://gw.example/?x=1", "", "baseURL: must not carry a query or fragment"},
		{"https://gw.example/api#top", "", "baseURL: must not carry a query or fragment"},
		{"https://u:s3cret@gw.example", "", "baseURL: must not carry user info"},
		{"https://u:s3cret@gw example", "", "baseURL: must be an absolute http(s) URL"},
		{"https://gw.example/api", "https://gw.example/api", ""},
		{" https://gw.example/api// ", "https://gw.example/api", ""},
	} {
		base, err := BaseURL("baseURL", tc.url)
		if (err == nil) != (tc.want == "") || (err != nil && err.Error() != tc.want) || base != tc.base {
			t.Errorf("BaseURL(%q) = %q, %v; want %q, %q", tc.url, base, err, tc.base, tc.want)
		}
	}
}

func TestParseKeyForms(t *testing.T) {
	priv, pub, err := GenerateKeyPEM(2048)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey(priv); err != nil {
		t.Errorf("PKCS#8 private: %v", err)
	}
	if _, err := ParsePublicKey(pub); err != nil {
		t.Errorf("SPKI public: %v", err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPub, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	notDER := base64.StdEncoding.EncodeToString([]byte("not a key"))
	for _, tc := range []struct {
		name string
		got  func() error
		want string
	}{
		{"EC private", func() error { _, err := ParsePrivateKey([]byte(base64.StdEncoding.EncodeToString(ecPriv))); return err }, "private key is *ecdsa.PrivateKey, want RSA"},
		{"EC public", func() error { _, err := ParsePublicKey([]byte(base64.StdEncoding.EncodeToString(ecPub))); return err }, "public key is *ecdsa.PublicKey, want RSA"},
		{"junk private", func() error { _, err := ParsePrivateKey([]byte(notDER)); return err }, "private key is neither PKCS#8 nor PKCS#1 RSA"},
		{"junk public", func() error { _, err := ParsePublicKey([]byte(notDER)); return err }, "public key is neither X.509 SubjectPublicKeyInfo nor PKCS#1 RSA"},
		{"public as private", func() error { _, err := ParsePrivateKey(pub); return err }, "private key is neither PKCS#8 nor PKCS#1 RSA"},
	} {
		if err := tc.got(); err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestCheckField(t *testing.T) {
	for _, tc := range []struct {
		v        string
		required bool
		want     string
	}{
		{"", true, "appId: required"},
		{"", false, ""},
		{"abcd", true, ""},
		{"订单订单", true, ""}, // four characters, twelve bytes: characters are counted
		{"abcde", false, "appId: 5 characters, at most 4 allowed"},
	} {
		err := CheckField("appId", tc.v, tc.required, 4)
		var fe *FieldError
		if (err == nil) != (tc.want == "") || (err != nil && (err.Error() != tc.want || !errors.As(err, &fe))) {
			t.Errorf("CheckField(%q, %v) = %v, want %q", tc.v, tc.required, err, tc.want)
		}
	}
}

func TestCheckFieldsFirstProblem(t *testing.T) {
	err := CheckFields(
		Field{Name: "appId", Value: "abc", Required: true, Max: 4},
		Field{Name: "merchantNo", Value: "", Required: true, Max: 4},
		Field{Name: "version", Value: "too long", Max: 4},
	)
	if err == nil || err.Error() != "merchantNo: required" {
		t.Errorf("CheckFields = %v, want the first problem, merchantNo: required", err)
	}
	if err := CheckFields(Field{Name: "version", Value: "", Max: 4}); err != nil {
		t.Errorf("optional empty field: %v", err)
	}
}
