package gnete

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// API paths relative to Config.BaseURL (the Unified Cancel page; /api/pay/query is Jeepay's
// QueryOrderController, which GNETE inherits).
const (
	PathCancel      = "/api/pay/cancel"
	PathCancelQuery = "/api/cancel/query"
	PathPayQuery    = "/api/pay/query"
)

// Field lengths the gateway enforces (the Unified Cancel page's "String(n)"; GNETE's
// ids are at most 30 characters).
const (
	MaxMchNo     = 30
	MaxAppID     = 24
	MaxOrderID   = 30 // payOrderId, mchOrderNo, cancelOrderId
	MaxNotifyURL = 128
	MaxVersion   = 3
)

// Body formats the gateway accepts for requests (the Unified Cancel page: "application/json or
// application/x-www-form-urlencoded").
const (
	BodyJSON = "json"
	BodyForm = "form"
)

// param is one request field; requests keep their fields in a fixed order.
type param struct{ key, value string }

func paramMap(ps []param) map[string]any {
	m := make(map[string]any, len(ps))
	for _, p := range ps {
		m[p.key] = p.value
	}
	return m
}

// encodeJSON writes the fields as one JSON object of strings, in order. reqTime
// travels as a string, as in the API page's request example.
func encodeJSON(ps []param) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.key)
		v, _ := json.Marshal(p.value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// encodeForm writes the fields as application/x-www-form-urlencoded, in order.
func encodeForm(ps []param) []byte {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.value))
	}
	return []byte(b.String())
}

// envelope is a gateway answer {code, msg, data, sign} (the Unified Cancel page "Return parameters").
type envelope struct {
	Code int
	Msg  string
	// Data is the decoded data object (numbers as json.Number, exactly as sent);
	// nil when data is absent or null.
	Data map[string]any
	// DataErr says why data could not be read as an object (left for the caller:
	// only a code-0 answer needs it).
	DataErr error
	Sign    string
}

var errNoCode = errors.New("no code")

// parseEnvelope reads a gateway answer. It fails only when the body is not JSON
// or carries no readable code.
func parseEnvelope(body []byte) (envelope, error) {
	var raw struct {
		Code json.RawMessage `json:"code"`
		Msg  json.RawMessage `json:"msg"`
		Data json.RawMessage `json:"data"`
		Sign json.RawMessage `json:"sign"`
	}
	if err := decodeStrict(body, &raw); err != nil {
		return envelope{}, err
	}
	var env envelope
	code, err := intFromRaw(raw.Code)
	if err != nil {
		return envelope{}, fmt.Errorf("code: %w", err)
	}
	env.Code = code
	env.Msg = stringFromRaw(raw.Msg)
	env.Sign = stringFromRaw(raw.Sign)
	if len(raw.Data) > 0 && string(raw.Data) != "null" {
		m, err := DecodeObject(raw.Data)
		if err != nil {
			env.DataErr = err
		} else {
			env.Data = m
		}
	}
	return env, nil
}

// decodeStrict decodes exactly one JSON value with nothing after it.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

// DecodeObject decodes a JSON object keeping every number's exact text, so the
// signature is checked over the digits the gateway signed.
func DecodeObject(b []byte) (map[string]any, error) {
	var m map[string]any
	if err := decodeStrict(b, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("data is not an object")
	}
	return m, nil
}

func intFromRaw(r json.RawMessage) (int, error) {
	if len(r) == 0 || string(r) == "null" {
		return 0, errNoCode
	}
	var v any
	if err := decodeStrict(r, &v); err != nil {
		return 0, err
	}
	n, ok := toInt(v)
	if !ok {
		return 0, fmt.Errorf("not an integer: %s", truncate(string(r), 40))
	}
	return n, nil
}

func stringFromRaw(r json.RawMessage) string {
	if len(r) == 0 || string(r) == "null" {
		return ""
	}
	var v any
	if err := decodeStrict(r, &v); err != nil {
		return ""
	}
	s, _ := FormatValue(v)
	return s
}

// toInt reads an integer that may arrive as a JSON number or as a string (form
// notifications carry every field as a string).
func toInt(v any) (int, bool) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = strings.TrimSpace(x)
	case int:
		return x, true
	case int64:
		return int(x), true
	default:
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, false
	}
	return n, true
}

// Text reads a field as text ("" when absent or null).
func Text(m map[string]any, key string) string {
	s, _ := FormatValue(m[key])
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
