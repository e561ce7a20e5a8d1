package workflows

// CancelKey exposes the business-key derivation to the external tests.
var CancelKey = cancelKey
