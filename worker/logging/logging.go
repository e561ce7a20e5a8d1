// Package logging builds the worker's zap logger and adapts it to the Temporal SDK's
// logger interface, so SDK, worker and activity logs are one structured stream.
//
// Secrets never reach a log line: configuration holds them as providers.Secret,
// which renders as "[redacted]" through every formatting path, and Redact masks the
// values of keys that look secret when something passes them as plain strings.
package logging

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New builds a JSON zap logger at the given level (debug, info, warn, error).
func New(level string) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(strings.ToLower(level))); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Sampling = nil
	cfg.EncoderConfig.TimeKey = "ts"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	cfg.DisableStacktrace = lvl > zapcore.DebugLevel
	return cfg.Build()
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
