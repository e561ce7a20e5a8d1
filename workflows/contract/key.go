package contract

import (
	"fmt"
	"strings"
)

// CancelKey is the business key of the cancel with this workflow id, the same on
// every attempt and run (PayerMax's requestId): "pc-" and the id without its
// "cancel/" prefix, '/' written '-' (pc-acme-payermax-A1001), or, beyond
// PayerMax's 64 characters, "pc-" and a stable 64-bit FNV-1a hash of the id. The
// workflow fixes it once, at the start of its first run, and keeps it in its
// status. The derivation is the one cancels had before ids were merchant-scoped.
// Two ids can give one key ("a/p/b-p-c" and "a-p-b/p/c": merchant names and
// order numbers may hold '-'), but only across two merchants, and the worker's
// configuration refuses one provider account in two merchants: a provider never
// sees both keys.
func CancelKey(workflowID string) string {
	// TrimPrefix, not slicing: a cancel started by hand with another id must not
	// panic the workflow task.
	// Providers' business keys are ids, not paths: "cancel/payermax/o-1" becomes
	// "pc-payermax-o-1" (order numbers never contain '/': CancelRequest.Validate).
	key := "pc-" + strings.ReplaceAll(strings.TrimPrefix(workflowID, "cancel/"), "/", "-")
	if len(key) <= 64 {
		return key
	}
	return "pc-" + StableHash(workflowID)
}

// StableHash is the 64-bit FNV-1a hash of s in 16 hex digits: the same on every
// worker and every replay (business keys, merchant event ids).
func StableHash(s string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return fmt.Sprintf("%016x", h)
}
