// Package logging builds the worker's zap logger (JSON or console, to stderr or a
// file) and adapts it to the Temporal SDK's logger interface, so SDK, worker and
// activity logs are one stream.
//
// Secrets never reach a log line: configuration holds them as providers.Secret,
// which renders as "[redacted]" through every formatting path, and Redact masks the
// values of keys that look secret when something passes them as plain strings.
package logging

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Log formats: JSON objects one a line (production's default, for log pipelines)
// or zap's console encoding (time, level, caller, message, then the fields as
// JSON: for people).
const (
	FormatJSON    = "json"
	FormatConsole = "console"
)

// Config selects a logger's level, format and destination.
type Config struct {
	// Level: debug, info, warn or error.
	Level string
	// Format: FormatJSON (default when empty) or FormatConsole.
	Format string
	// File, when set, receives the log (appended; created 0600 with its folder
	// 0700) instead of stderr.
	File string
}

// CheckFormat validates a log format name.
func CheckFormat(format string) error {
	switch format {
	case "", FormatJSON, FormatConsole:
		return nil
	}
	return fmt.Errorf("log format %q: want json or console", format)
}

// New builds a JSON zap logger to stderr at the given level (debug, info, warn, error).
func New(level string) (*zap.Logger, error) {
	z, _, err := Open(Config{Level: level})
	return z, err
}

// Open builds the logger c describes, and a function that flushes it and closes
// its file (nothing to close for stderr).
func Open(c Config) (*zap.Logger, func() error, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(strings.ToLower(c.Level))); err != nil {
		return nil, nil, fmt.Errorf("log level %q: want debug, info, warn or error", c.Level)
	}
	if err := CheckFormat(c.Format); err != nil {
		return nil, nil, err
	}
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey = "ts"
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	if c.Format == FormatConsole {
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	} else {
		enc = zapcore.NewJSONEncoder(ec)
	}
	var out zapcore.WriteSyncer = zapcore.Lock(os.Stderr)
	closeFile := func() error { return nil }
	if c.File != "" {
		if err := os.MkdirAll(filepath.Dir(c.File), 0o700); err != nil {
			return nil, nil, fmt.Errorf("log file %s: %w", c.File, err)
		}
		f, err := os.OpenFile(c.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("log file %s: %w", c.File, err)
		}
		out = zapcore.Lock(f)
		closeFile = f.Close
	}
	opts := []zap.Option{zap.AddCaller(), zap.ErrorOutput(zapcore.Lock(os.Stderr))}
	if lvl <= zapcore.DebugLevel {
		opts = append(opts, zap.AddStacktrace(zapcore.ErrorLevel))
	}
	z := zap.New(zapcore.NewCore(enc, out, zap.NewAtomicLevelAt(lvl)), opts...)
	return z, func() error {
		_ = z.Sync()
		return closeFile()
	}, nil
}

// secretKeys are key fragments whose values are masked.
var secretKeys = []string{"secret", "password", "privatekey", "private_key", "apikey", "api_key", "token", "credential_secret"}

// IsSecretKey reports whether a log key names something secret.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	for _, s := range secretKeys {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// Temporal adapts a zap logger to go.temporal.io/sdk/log.Logger.
type Temporal struct{ z *zap.Logger }

var _ log.Logger = Temporal{}
var _ log.WithLogger = Temporal{}

// NewTemporal wraps z for the SDK.
func NewTemporal(z *zap.Logger) Temporal { return Temporal{z: z.WithOptions(zap.AddCallerSkip(1))} }

func (t Temporal) Debug(msg string, keyvals ...any) { t.z.Debug(msg, Fields(keyvals)...) }
func (t Temporal) Info(msg string, keyvals ...any)  { t.z.Info(msg, Fields(keyvals)...) }
func (t Temporal) Warn(msg string, keyvals ...any)  { t.z.Warn(msg, Fields(keyvals)...) }
func (t Temporal) Error(msg string, keyvals ...any) { t.z.Error(msg, Fields(keyvals)...) }

// With returns a logger with fixed fields.
func (t Temporal) With(keyvals ...any) log.Logger { return Temporal{z: t.z.With(Fields(keyvals)...)} }

// Fields turns SDK key/value pairs into zap fields, masking secret-looking keys.
func Fields(keyvals []any) []zap.Field {
	fields := make([]zap.Field, 0, len(keyvals)/2+1)
	for i := 0; i < len(keyvals); i += 2 {
		key, ok := keyvals[i].(string)
		if !ok {
			key = fmt.Sprint(keyvals[i])
		}
		if i+1 >= len(keyvals) {
			fields = append(fields, zap.Any("extra", keyvals[i]))
			break
		}
		val := keyvals[i+1]
		if IsSecretKey(key) {
			val = "[redacted]"
		}
		if err, ok := val.(error); ok {
			fields = append(fields, zap.NamedError(key, err))
			continue
		}
		fields = append(fields, zap.Any(key, val))
	}
	return fields
}
