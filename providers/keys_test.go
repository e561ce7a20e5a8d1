package providers

import (
	"bytes"
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
	for _, tc := range []struct{ url, want string }{
		{"", "baseURL: required"},
		{"ftp://x", "baseURL: must be an absolute http(s) URL"},
		{"https://", "baseURL: must be an absolute http(s) URL"},
		{"https://gw.example/api", ""},
	} {
		err := CheckBaseURL("baseURL", tc.url)
		if (err == nil) != (tc.want == "") || (err != nil && err.Error() != tc.want) {
			t.Errorf("CheckBaseURL(%q) = %v, want %q", tc.url, err, tc.want)
		}
	}
}
