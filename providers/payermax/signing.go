package payermax

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/paycancel/paycancel/providers"
)

// SignHeader is the HTTP header that carries PayerMax's signature, on requests,
// responses and notifications alike (the provider's API notes, payermax "Signing" and
// "Responses"). [C]
const SignHeader = "sign"

// Sign signs body exactly as it goes on the wire: RSASSA-PKCS1-v1_5 with SHA-256
// over the UTF-8 bytes, no field sorting, standard base64 (the provider's API notes,
// payermax "Signing"). [C]
func Sign(key *rsa.PrivateKey, body []byte) (string, error) {
	sig, err := providers.SignPKCS1v15(key, crypto.SHA256, body)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks a `sign` header value against the raw body it covers.
func Verify(pub *rsa.PublicKey, body []byte, sign string) error {
	sign = strings.TrimSpace(sign)
	if sign == "" {
		return errors.New("no sign header")
	}
	sig, err := base64.StdEncoding.DecodeString(sign)
	if err != nil {
		return errors.New("sign header is not base64")
	}
	if err := providers.VerifyPKCS1v15(pub, crypto.SHA256, body, sig); err != nil {
		return errors.New("sign header does not match the body")
	}
	return nil
}
