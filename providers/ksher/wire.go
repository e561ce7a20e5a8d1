package ksher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Request parameter names (the Order Cancel page, "Order Cancel Request Parameters"; the order
// query takes the same set, the provider's API notes "ksher").
const (
	ParamAppID      = "appid"
	ParamNonce      = "nonce_str"
	ParamTimeStamp  = "time_stamp"
	paramLang       = "lang"
	ParamMchOrderNo = "mch_order_no"
	ParamSign       = "sign"
)

// Documented field limits (the Order Cancel page: appid String(32), nonce_str String(32);
// the provider's API notes: mch_order_no at most 32, enforced by the gateway).
const (
	MaxMchOrderNo = 32
	maxAppID      = 32
	MaxNonce      = 32
)

// timeStampLayout is time_stamp's yyyyMMddHHmmss ("20190622131804", the Order Cancel page).
const timeStampLayout = "20060102150405"

// Paths appended to Config.BaseURL (".../api").
const (
	PathCancel     = "/cancel_order"
	PathOrderQuery = "/gateway_order_query"
)

// response is every Ksher gateway answer: {code, msg, data, sign, message}. data is
// a string for the cancel reply ("取消成功") and an object for queries; sign covers the
// object's fields only and is absent from error replies and from the cancel reply.
type response struct {
	Code    int
	Msg     string
	Message string
	Data    json.RawMessage // raw, so the signed fields are read exactly as sent
	Sign    string
}

type wireResponse struct {
	Code    json.RawMessage `json:"code"`
	Msg     json.RawMessage `json:"msg"`
	Message json.RawMessage `json:"message"`
	Data    json.RawMessage `json:"data"`
	Sign    json.RawMessage `json:"sign"`
}

// ParseResponse reads a Ksher answer. code must be present (a number, or a number in
// a string); msg/message/sign are read when they are strings and ignored otherwise.
func ParseResponse(body []byte) (response, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return response{}, errors.New("body is not a JSON object")
	}
	var w wireResponse
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&w); err != nil {
		return response{}, fmt.Errorf("body: %v", err)
	}
	code, err := parseCode(w.Code)
	if err != nil {
		return response{}, err
	}
	r := response{Code: code, Msg: optString(w.Msg), Message: optString(w.Message), Sign: optString(w.Sign)}
	if d := bytes.TrimSpace(w.Data); len(d) > 0 && !bytes.Equal(d, []byte("null")) {
		r.Data = d
	}
	return r, nil
}

func parseCode(raw json.RawMessage) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, errors.New("no code")
	}
	text := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, fmt.Errorf("code: %v", err)
		}
		text = strings.TrimSpace(text)
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return 0, fmt.Errorf("code %s is not an integer", raw)
	}
	return n, nil
}

func optString(raw json.RawMessage) string {
	var s string
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

// text is the provider's description: msg, else message.
func (r response) text() string {
	if r.Msg != "" {
		return r.Msg
	}
	return r.Message
}

// dataIsObject reports whether data is a JSON object (the signed kind).
func (r response) dataIsObject() bool { return len(r.Data) > 0 && r.Data[0] == '{' }

// dataString is data when it is a JSON string (the cancel reply's "取消成功").
func (r response) dataString() string { return optString(r.Data) }

// orderData is the part of gateway_order_query's data this client reads (the Order Cancel page,
// "after gateway order query again"): the rest is signed but not interpreted.
type orderData struct {
	Result         string `json:"result"`
	MchOrderNo     string `json:"mch_order_no"`
	KsherOrderNo   string `json:"ksher_order_no"`
	PayMchOrderNo  string `json:"pay_mch_order_no"`
	ErrCode        string `json:"err_code"`
	ErrMsg         string `json:"err_msg"`
	AppID          string `json:"appid"`
	ChannelOrderNo string `json:"channel_order_no"`
}

// readOrderData picks the interpreted fields out of a verified data object; fields of
// an unexpected JSON type read as empty.
func readOrderData(data []byte) (orderData, error) {
	fields, err := dataFields(data)
	if err != nil {
		return orderData{}, err
	}
	get := func(k string) string { return optString(fields[k]) }
	return orderData{
		Result:         strings.TrimSpace(get("result")),
		MchOrderNo:     get("mch_order_no"),
		KsherOrderNo:   get("ksher_order_no"),
		PayMchOrderNo:  get("pay_mch_order_no"),
		ErrCode:        get("err_code"),
		ErrMsg:         get("err_msg"),
		AppID:          get("appid"),
		ChannelOrderNo: get("channel_order_no"),
	}, nil
}

// ackBody is the acknowledgement Ksher expects for a payment notification
// (the provider's API notes "ksher", [C]; the official PHP notify demo).
const ackBody = `{"result":"SUCCESS","msg":"OK"}`
