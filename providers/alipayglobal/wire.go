package alipayglobal

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Wire types of the Alipay Global open API envelope (the payCancel 2.0.2 page, the provider's API pages
// "alipayglobal"). A request is
//
//	{"request":{"head":{…},"body":{…}},"signature":"…"}
//
// and the signature covers the exact text of the "request" value; a response is the
// same with "response" in place of "request".

// API function names (the head's "function").
const (
	FunctionCancel   = "alipay.intl.acquiring.common.payCancel"
	FunctionPayQuery = "alipay.intl.acquiring.offline.payQuery"
)

// SignTypeRSA2 is SHA256withRSA, the only sign type this adapter speaks.
const SignTypeRSA2 = "RSA2"

// ReqTimeLayout is RFC 3339 with a numeric offset always ("+08:00", never "Z"),
// as in the API page's samples.
const ReqTimeLayout = "2006-01-02T15:04:05-07:00"

// Field length limits from the API page's request tables.
const (
	MaxClientID  = 32
	MaxPartnerID = 32
	MaxVersion   = 8
	MaxTargetID  = 64 // acquirementId, merchantTransId
	MaxReqMsgID  = 64
)

type RequestHead struct {
	Version  string `json:"version"`
	Function string `json:"function"`
	ClientID string `json:"clientId"`
	ReqTime  string `json:"reqTime"`
	ReqMsgID string `json:"reqMsgId"`
	Reserve  string `json:"reserve,omitempty"`
	SignType string `json:"signType,omitempty"`
}

// RequestBody is the body of payCancel 2.0.2 and payQuery 2.0.2 alike.
type RequestBody struct {
	PartnerID       string `json:"partnerId"`
	AcquirementID   string `json:"acquirementId,omitempty"`
	MerchantTransID string `json:"merchantTransId,omitempty"`
}

type Request struct {
	Head RequestHead `json:"head"`
	Body RequestBody `json:"body"`
}

type ResponseHead struct {
	Version  string `json:"version"`
	Function string `json:"function"`
	ClientID string `json:"clientId"`
	RespTime string `json:"respTime"`
	ReqMsgID string `json:"reqMsgId"`
	Reserve  string `json:"reserve,omitempty"`
}

type ResultInfo struct {
	ResultStatus string `json:"resultStatus"`
	ResultCodeID string `json:"resultCodeId"`
	ResultCode   string `json:"resultCode"`
	ResultMsg    string `json:"resultMsg,omitempty"`
}

// ResponseBody covers the payCancel and payQuery answers: cancelTime only in the
// first, acquirementStatus only in the second.
type ResponseBody struct {
	ResultInfo      *ResultInfo `json:"resultInfo"`
	AcquirementID   string      `json:"acquirementId,omitempty"`
	MerchantTransID string      `json:"merchantTransId,omitempty"`
	CancelTime      string      `json:"cancelTime,omitempty"`
	// AcquirementStatus is the payment's status in payQuery answers. [OPEN] the
	// 2.0.2 page names the values only loosely; see paymentStates in codes.go.
	AcquirementStatus string `json:"acquirementStatus,omitempty"`
}

type Response struct {
	Head ResponseHead `json:"head"`
	Body ResponseBody `json:"body"`
}

// envelope is the outer object of both directions. Message keeps the exact bytes of
// the "request" or "response" value: json.RawMessage is the substring of the input,
// so the signature is checked over what the other side signed, never a re-marshal.
type envelope struct {
	Message   json.RawMessage
	Signature string
	HasSig    bool
}

var errNoMessage = errors.New("no message object in the envelope")

// ParseEnvelope reads {"<key>":{…},"signature":"…"} where key is "request" or
// "response". Unknown fields are ignored.
func ParseEnvelope(data []byte, key string) (envelope, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return envelope{}, err
	}
	msg := bytes.TrimSpace(raw[key])
	if len(msg) == 0 || msg[0] != '{' {
		return envelope{}, errNoMessage
	}
	env := envelope{Message: msg}
	if s, ok := raw["signature"]; ok && !bytes.Equal(bytes.TrimSpace(s), []byte("null")) {
		if err := json.Unmarshal(s, &env.Signature); err != nil {
			return envelope{}, errors.New("signature is not a string")
		}
		env.HasSig = env.Signature != ""
	}
	return env, nil
}

// BuildEnvelope writes {"<key>":<msg>,"signature":"<sig>"} around msg byte for
// byte (msg is not re-marshalled). An empty sig leaves the signature out.
func BuildEnvelope(key string, msg []byte, sig string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"`)
	b.WriteString(key)
	b.WriteString(`":`)
	b.Write(msg)
	if sig != "" {
		q, _ := json.Marshal(sig) // a string always marshals
		b.WriteString(`,"signature":`)
		b.Write(q)
	}
	b.WriteString("}")
	return b.Bytes()
}

// MarshalCompact marshals v once, minified, without HTML escaping (the bytes that
// are signed are the bytes sent, whatever the escaping; this keeps ids readable).
func MarshalCompact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
