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
	for _, tc := range []struct{ url, base, want string }{
		{"", "", "baseURL: required"},
		{" / ", "", "baseURL: required"},
		{"ftp://x", "", `baseURL: "ftp://x": must be an absolute http(s) URL`},
		{"https://", "", `baseURL: "https:": must be an absolute http(s) URL`},
		{"gw.example/api", "", `baseURL: "gw.example/api": must be an absolute http(s) URL`},
		{"https://gw.example/?x=1", "", `baseURL: "https://gw.example/?x=1": must not carry a query or fragment`},
		{"https://gw.example/api#top", "", `baseURL: "https://gw.example/api#top": must not carry a query or fragment`},
		{"https://u:s3cret@gw.example", "", "baseURL: must not carry user info"},
		{"https://u:s3cret@gw example", "", "baseURL: not a URL"},
		{"https://gw.example/api", "https://gw.example/api", ""},
		{" https://gw.example/api// ", "https://gw.example/api", ""},
	} {
		base, err := BaseURL("baseURL", tc.url)
		if (err == nil) != (tc.want == "") || (err != nil && err.Error() != tc.want) || base != tc.base {
			t.Errorf("BaseURL(%q) = %q, %v; want %q, %q", tc.url, base, err, tc.base, tc.want)
		}
	}
}
