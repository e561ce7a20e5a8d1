package ksher

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/paycancel/paycancel/providers"
)

// Ksher's signature (Ksher's signing page, [C]; the official PHP/Python/Node
// SDKs' ksher_sign / verify_ksher_sign): every parameter except "sign", sorted by
// name in byte order, written as key=value pieces concatenated with NO separator,
// signed with RSASSA-PKCS1-v1_5 over MD5 and written as lowercase hex.
//
// Requests are signed with the merchant's private key; responses and notifications
// are signed by Ksher over the fields of their "data" object only, with Ksher's key.

// signString builds the text Ksher signs from request parameters ("sign" excluded).
func signString(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k == "sign" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys) // byte order
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}

// SignParams signs request parameters with the merchant key: lowercase hex.
func SignParams(key *rsa.PrivateKey, params map[string]string) (string, error) {
	sig, err := providers.SignPKCS1v15(key, crypto.MD5, []byte(signString(params)))
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sig), nil
}

// VerifyParams checks a request's "sign" (the simulator's side of SignParams).
func VerifyParams(pub *rsa.PublicKey, params map[string]string, signHex string) error {
	return verifyHex(pub, []byte(signString(params)), signHex)
}

// errNoSign is returned when a response or notification carries no signature.
var errNoSign = errors.New("no sign")

func verifyHex(pub *rsa.PublicKey, text []byte, signHex string) error {
	if pub == nil {
		return errors.New("no Ksher public key")
	}
	signHex = strings.TrimSpace(signHex)
	if signHex == "" {
		return errNoSign
	}
	sig, err := hex.DecodeString(signHex)
	if err != nil {
		return fmt.Errorf("sign is not hex: %w", providers.ErrBadSignature)
	}
	// providers.VerifyPKCS1v15, not crypto/rsa directly: Ksher's real public key is
	// 512-bit, which crypto/rsa refuses (Go 1.24+) unless the whole process sets
	// GODEBUG=rsa1024min=0. VerifyPKCS1v15 does the textbook check for that one small
	// key by hand, so the limit stays in force for every other key in the worker.
	if err := providers.VerifyPKCS1v15(pub, crypto.MD5, text, sig); err != nil {
		return providers.ErrBadSignature
	}
	return nil
}

// dataFields decodes a JSON object into its fields as raw values, so that each value
// can be written exactly as it was sent (the number 2000 stays "2000": the same text
// json.Decoder.UseNumber would give).
func dataFields(data []byte) (map[string]json.RawMessage, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, errors.New("data is not a JSON object")
	}
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil {
		return nil, fmt.Errorf("data: %v", err)
	}
	if fields == nil {
		return nil, errors.New("data is null")
	}
	return fields, nil
}

// fieldText is a data value as it enters the signed text. Strings are their content;
// numbers are their decimal text as sent ([I]: Ksher's data is strings plus integer
// amounts such as total_fee, which its SDKs print in decimal); null is "" and booleans
// "true"/"false" ([OPEN]: Ksher sends neither in the documented replies; PHP's SDK
// would print null as ""); a nested object or array is its compact JSON text ([OPEN]).
func fieldText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", errors.New("empty value")
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case 'n':
		return "", nil
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return "", err
		}
		return b.String(), nil
	default: // number, true, false: their JSON text
		return string(raw), nil
	}
}

// dataSignString builds the text Ksher signs from the raw JSON of a "data" object.
func dataSignString(data []byte) (string, error) {
	fields, err := dataFields(data)
	if err != nil {
		return "", err
	}
	return fieldsSignString(fields)
}

func fieldsSignString(fields map[string]json.RawMessage) (string, error) {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v, err := fieldText(fields[k])
		if err != nil {
			return "", fmt.Errorf("data.%s: %v", k, err)
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	return b.String(), nil
}

// verifyData checks Ksher's "sign" over the fields of a "data" object.
func verifyData(pub *rsa.PublicKey, data []byte, signHex string) error {
	text, err := dataSignString(data)
	if err != nil {
		return err
	}
	return verifyHex(pub, []byte(text), signHex)
}

// SignData is Ksher's side of verifyData (used by the sandbox).
func SignData(key *rsa.PrivateKey, data []byte) (string, error) {
	text, err := dataSignString(data)
	if err != nil {
		return "", err
	}
	sig, err := providers.SignPKCS1v15(key, crypto.MD5, []byte(text))
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sig), nil
}
