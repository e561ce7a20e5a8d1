//go:build unix

package reliability

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on path (created if needed) until unlock:
// concurrent runs of the suite (another `go test ./...`) build one at a time.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
