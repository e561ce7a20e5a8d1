package testenv

import (
	"fmt"
	"sync/atomic"
	"time"
)

var orderSeq atomic.Int64

// Order makes a merchant order number no earlier run or other test used: tests
// share one server (PAYCANCEL_TEST_TEMPORAL_ADDRESS keeps it across runs), and a
// cancel's workflow id comes from its order number. The time makes it unique
// across runs, the sequence within one. With a prefix of up to 10 characters it
// stays within every provider's limit (GNETE's 30 is the shortest).
func Order(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, orderSeq.Add(1))
}
