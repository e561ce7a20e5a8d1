//go:build !unix

package reliability

func lockFile(string) (func(), error) { return func() {}, nil }
