package simkit

import "time"

// DevOptions are what a set of sandboxes passes to each provider's Dev (its
// sandbox with development credentials): where console-configured notifications go,
// how fast they retry, and the account tag that makes the development account ids
// a second merchant's.
type DevOptions struct {
	// NotifyURL receives the notifications the provider sends to a URL set in its
	// console (PayerMax cancel results, Ksher payment webhooks). Providers that
	// take the URL from the request ignore it. Empty: none.
	NotifyURL string
	// NotifySchedule overrides the provider's notification schedule. Nil: the
	// provider's documented schedule.
	NotifySchedule []time.Duration
	// AccountTag is appended to the development account id (PayerMax appId,
	// Alipay+ Client-Id, GNETE mchNo, Ksher appid, Alipay Global partnerId) in both
	// the sandbox and the adapter configuration.
	AccountTag string
}
