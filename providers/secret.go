package providers

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"
)

// Secret holds key material or a shared secret. It prints as "[redacted]" in every
// formatting path (fmt, JSON, zap's Stringer) so it cannot leak into logs; read it
// with Reveal only where it is used to sign.
//
// The value sits behind a pointer: fmt cannot call Format on a Secret held in an
// unexported field of another struct (it does not call methods there), and would
// print a plain string field; a pointer prints as an address.
type Secret struct{ p *string }

// NewSecret wraps a secret value.
func NewSecret(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{p: &v}
}

// Reveal returns the secret itself. Call it only to sign or verify.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports whether no secret is set.
func (s Secret) IsZero() bool { return s.p == nil }

func (s Secret) String() string                { return "[redacted]" }
func (s Secret) GoString() string              { return "[redacted]" }
func (s Secret) MarshalJSON() ([]byte, error)  { return []byte(`"[redacted]"`), nil }
func (s Secret) MarshalText() ([]byte, error)  { return []byte("[redacted]"), nil }
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte("[redacted]")) }

// SecretRef says where a secret (or a key file) lives: a file path (relative to the
// configuration file's folder) or an environment variable holding the value itself.
// Exactly one is set. Value is for tests and in-process setups; it cannot be written
// in a configuration file.
type SecretRef struct {
	File  string `yaml:"file,omitempty" json:"file,omitempty"`
	Env   string `yaml:"env,omitempty" json:"env,omitempty"`
	Value Secret `yaml:"-" json:"-"`
}

// IsSet reports whether the reference names anything.
func (r SecretRef) IsSet() bool { return r.File != "" || r.Env != "" || !r.Value.IsZero() }

// Load reads the secret. baseDir resolves a relative File. Errors name the file or
// variable but never the value.
func (r SecretRef) Load(baseDir string) (Secret, error) {
	n := 0
	for _, set := range []bool{r.File != "", r.Env != "", !r.Value.IsZero()} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return Secret{}, errors.New("not set: give file or env")
	case n > 1:
		return Secret{}, errors.New("give only one of file and env")
	case !r.Value.IsZero():
		return r.Value, nil
	case r.Env != "":
		v, ok := os.LookupEnv(r.Env)
		if !ok || strings.TrimSpace(v) == "" {
			return Secret{}, fmt.Errorf("environment variable %s is not set", r.Env)
		}
		return NewSecret(v), nil
	default:
		path := r.File
		if !filepath.IsAbs(path) && baseDir != "" {
			path = filepath.Join(baseDir, path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return Secret{}, fmt.Errorf("file %s: %v", path, errors.Unwrap(err))
		}
		if len(strings.TrimSpace(string(data))) == 0 {
			return Secret{}, fmt.Errorf("file %s is empty", path)
		}
		return NewSecret(strings.TrimRight(string(data), "\r\n")), nil
	}
}

// describe names where the secret lives, for error messages: "file <path>",
// "environment variable <name>" or "the value given in code". Never the value.
func (r SecretRef) describe(baseDir string) string {
	switch {
	case r.File != "":
		path := r.File
		if !filepath.IsAbs(path) && baseDir != "" {
			path = filepath.Join(baseDir, path)
		}
		return "file " + path
	case r.Env != "":
		return "environment variable " + r.Env
	}
	return "the value given in code"
}

// Deps is what an adapter constructor needs besides its own configuration.
type Deps struct {
	// HTTPClient sends provider requests. Nil: a client with a 15 s timeout.
	HTTPClient *http.Client
	// BaseDir resolves relative key file paths (the configuration file's folder).
	BaseDir string
	// Now is the clock for per-attempt timestamps. Nil: time.Now.
	Now func() time.Time
}

// Client returns the HTTP client to use.
func (d Deps) Client() *http.Client {
	if d.HTTPClient != nil {
		return d.HTTPClient
	}
	return &http.Client{Timeout: 15 * time.Second}
}

// Clock returns the current time.
func (d Deps) Clock() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// FieldError is a configuration problem in one named field.
type FieldError struct {
	Field   string
	Problem string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Problem }

// CheckField checks a value against its provider's documented limit: given (when
// required) and at most max characters. Adapters check their configured ids with
// it, and the request ids they send where the provider counts characters.
// Characters, not bytes: the providers' pages give these limits in characters,
// and the ids they issue are ASCII, where the two agree (Ksher, which counts
// bytes, checks its own). Errors are FieldErrors on field.
func CheckField(field, v string, required bool, max int) error {
	switch n := utf8.RuneCountInString(v); {
	case n == 0 && required:
		return FieldErr(field, "required")
	case n > max:
		return FieldErr(field, "%d characters, at most %d allowed", n, max)
	}
	return nil
}

// Field is one configured value and its documented limit, for CheckFields.
type Field struct {
	Name     string
	Value    string
	Required bool
	Max      int
}

// CheckFields runs CheckField over an adapter's configured ids and versions in
// order and returns the first problem, so New reports the first bad field.
func CheckFields(fields ...Field) error {
	for _, f := range fields {
		if err := CheckField(f.Name, f.Value, f.Required, f.Max); err != nil {
			return err
		}
	}
	return nil
}

// FieldErr builds a FieldError.
func FieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
}
