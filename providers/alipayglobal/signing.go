package alipayglobal

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"errors"

	"github.com/paycancel/paycancel/providers"
)

// Signing (the provider's API pages, [C]): signType RSA2 is RSASSA-PKCS1-v1_5 with
// SHA-256 over the exact text of the "request" (or "response") object, standard
// base64. The official sample appears to base64 the signature twice while other
// implementations encode once [OPEN]: Config.Base64Twice picks what we send (default
// once), and verification accepts either (see decodeSignature).

// SignMessage signs msg (the exact bytes that go on the wire) with the given key.
func SignMessage(key *rsa.PrivateKey, msg []byte, twice bool) (string, error) {
	sig, err := providers.SignPKCS1v15(key, crypto.SHA256, msg)
	if err != nil {
		return "", err
	}
	return encodeSignature(sig, twice), nil
}

// encodeSignature is base64 once, or twice when the official sample's form is wanted.
func encodeSignature(sig []byte, twice bool) string {
	s := base64.StdEncoding.EncodeToString(sig)
	if twice {
		s = base64.StdEncoding.EncodeToString([]byte(s))
	}
	return s
}

var errSignatureEncoding = errors.New("signature is not base64 of an RSA signature of the key's size")

// decodeSignature reads a signature encoded once or twice. An RSA signature is
// exactly as long as the key's modulus, so the two forms cannot be confused; taking
// both costs nothing in security (the RSA check decides) and keeps us working when
// the other side encodes differently from Config.Base64Twice.
func decodeSignature(text string, keyBytes int) ([]byte, error) {
	once, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, errSignatureEncoding
	}
	if len(once) == keyBytes {
		return once, nil
	}
	twice, err := base64.StdEncoding.DecodeString(string(once))
	if err != nil || len(twice) != keyBytes {
		return nil, errSignatureEncoding
	}
	return twice, nil
}

// VerifyMessage checks a base64 signature over msg, the exact bytes received.
func VerifyMessage(key *rsa.PublicKey, msg []byte, text string) error {
	if key == nil {
		return errors.New("no public key")
	}
	sig, err := decodeSignature(text, key.Size())
	if err != nil {
		return err
	}
	return providers.VerifyPKCS1v15(key, crypto.SHA256, msg, sig)
}
