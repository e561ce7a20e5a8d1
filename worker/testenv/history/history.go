// Package history reads the workflow histories checked in under
// workflows/testdata/histories for tests. It is apart from testenv, which imports
// worker/app, so that worker/app's own tests can use it too.
package history

import (
	"os"
	"testing"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
)

// Load reads the history exported as JSON (temporal workflow show --output json,
// or the tests' writers) at path, and fails the test if it cannot.
func Load(t testing.TB, path string) *historypb.History {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("%v (a missing history is written by the writer named where the file is listed)", err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return h
}
