package alipayplus

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/paycancel/paycancel/providers"
)

// Alipay+ message signing (the Alipay+ OpenAPI "Message structure" and "Sign a request" pages, [C]):
//
//	content   = "POST " + <path as sent> + "\n" + <Client-Id> + "." + <Request-Time> + "." + <body>
//	signature = urlQueryEscape(base64(RSASSA-PKCS1-v1_5(SHA-256, content)))
//	header    Signature: algorithm=RSA256,keyVersion=<n>,signature=<signature>
//
// Responses are signed the same way by the wallet over the response headers
// Client-Id and Response-Time and the raw response body, with the request's path.

// algorithmRSA256 is the only algorithm the Signature header names.
const algorithmRSA256 = "RSA256"

// messageToSign builds the exact text that is signed. path is the URL path as it
// goes on the wire, including any prefix of the wallet's base URL; timeValue is the
// Request-Time (or Response-Time) header exactly as sent.
func messageToSign(path, clientID, timeValue string, body []byte) []byte {
	b := make([]byte, 0, len("POST ")+len(path)+1+len(clientID)+1+len(timeValue)+1+len(body))
	b = append(b, "POST "...)
	b = append(b, path...)
	b = append(b, '\n')
	b = append(b, clientID...)
	b = append(b, '.')
	b = append(b, timeValue...)
	b = append(b, '.')
	b = append(b, body...)
	return b
}

// SignMessage signs the message and returns the signature as it goes in the
// header: base64, then URL query-escaped ("+ / =" → "%2B %2F %3D").
func SignMessage(key *rsa.PrivateKey, path, clientID, timeValue string, body []byte) (string, error) {
	sig, err := providers.SignPKCS1v15(key, crypto.SHA256, messageToSign(path, clientID, timeValue, body))
	if err != nil {
		return "", err
	}
	return url.QueryEscape(base64.StdEncoding.EncodeToString(sig)), nil
}

// SignatureHeader formats the Signature header.
func SignatureHeader(keyVersion, escapedSignature string) string {
	return "algorithm=" + algorithmRSA256 + ",keyVersion=" + keyVersion + ",signature=" + escapedSignature
}

// parsedSignature is a Signature header taken apart.
type parsedSignature struct {
	Algorithm  string
	KeyVersion string
	Signature  []byte // decoded: URL-unescaped, then base64-decoded
}

// ParseSignatureHeader reads "algorithm=RSA256,keyVersion=1,signature=<escaped>".
// The signature is URL-decoded with PathUnescape, which leaves a literal "+" alone,
// so a wallet that forgets to escape its base64 still verifies.
func ParseSignatureHeader(v string) (parsedSignature, error) {
	var p parsedSignature
	var raw string
	seen := false
	for _, part := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "algorithm":
			p.Algorithm = strings.TrimSpace(val)
		case "keyVersion":
			p.KeyVersion = strings.TrimSpace(val)
		case "signature":
			raw, seen = strings.TrimSpace(val), true
		}
	}
	if !seen || raw == "" {
		return parsedSignature{}, errors.New("signature header has no signature")
	}
	if p.Algorithm != "" && p.Algorithm != algorithmRSA256 {
		return parsedSignature{}, fmt.Errorf("signature header names algorithm %q, want %s", p.Algorithm, algorithmRSA256)
	}
	unescaped, err := url.PathUnescape(raw)
	if err != nil {
		return parsedSignature{}, fmt.Errorf("signature is not URL-encoded: %v", err)
	}
	sig, err := base64.StdEncoding.DecodeString(unescaped)
	if err != nil {
		return parsedSignature{}, fmt.Errorf("signature is not base64: %v", err)
	}
	p.Signature = sig
	return p, nil
}

// VerifyMessage checks a Signature header value against the rebuilt message.
func VerifyMessage(key *rsa.PublicKey, path, clientID, timeValue, signature string, body []byte) (parsedSignature, error) {
	p, err := ParseSignatureHeader(signature)
	if err != nil {
		return p, err
	}
	if err := providers.VerifyPKCS1v15(key, crypto.SHA256, messageToSign(path, clientID, timeValue, body), p.Signature); err != nil {
		return p, errors.New("signature does not verify")
	}
	return p, nil
}

// VerifyResponse checks a wallet response: Client-Id, Response-Time and Signature
// headers must be present, Client-Id must be ours (when wantClientID is set), and the
// signature over "POST <path>\n<Client-Id>.<Response-Time>.<raw body>" must verify
// with the wallet's public key.
func VerifyResponse(key *rsa.PublicKey, path, wantClientID string, h http.Header, body []byte) error {
	sig := h.Get(HeaderSignature)
	if sig == "" {
		return errors.New("response has no Signature header")
	}
	clientID := h.Get(HeaderClientID)
	if clientID == "" {
		return errors.New("response has no Client-Id header")
	}
	if wantClientID != "" && clientID != wantClientID {
		return fmt.Errorf("response Client-Id %q is not ours", clientID)
	}
	respTime := h.Get(HeaderResponseTime)
	if respTime == "" {
		return errors.New("response has no Response-Time header")
	}
	_, err := VerifyMessage(key, path, clientID, respTime, sig, body)
	return err
}
