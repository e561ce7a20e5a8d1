package logging

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/paycancel/paycancel/providers"
)

func TestNewLevels(t *testing.T) {
	for level, want := range map[string]zapcore.Level{"debug": zapcore.DebugLevel, "info": zapcore.InfoLevel, "WARN": zapcore.WarnLevel, "error": zapcore.ErrorLevel} {
		z, err := New(level)
		if err != nil {
			t.Fatalf("%s: %v", level, err)
		}
		if !z.Core().Enabled(want) || (want > zapcore.DebugLevel && z.Core().Enabled(want-1)) {
			t.Errorf("%s: wrong level", level)
		}
	}
	if _, err := New("loud"); err == nil || err.Error() != `log level "loud": want debug, info, warn or error` {
		t.Errorf("bad level: %v", err)
	}
}

func TestIsSecretKey(t *testing.T) {
	for _, k := range []string{"secret", "notifySecret", "Password", "merchantPrivateKey", "private_key", "apiKey", "API_KEY", "token", "accessToken"} {
		if !IsSecretKey(k) {
			t.Errorf("%q is not treated as secret", k)
		}
	}
	for _, k := range []string{"provider", "workflowId", "credential", "merchantOrderNo", "keyVersion", "publicKey"} {
		if IsSecretKey(k) {
			t.Errorf("%q is treated as secret", k)
		}
	}
}

// TestTemporalAdapter: SDK-style key/value logging reaches zap with secret-looking
// keys masked, errors as errors, an odd trailing value kept, and With fields carried.
func TestTemporalAdapter(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	l := NewTemporal(zap.New(core, zap.AddCaller()))
	l.Debug("d", "appSecret", "s3cr3t-value", "provider", "gnete")
	l.Info("i", "error", errors.New("boom"), "dangling")
	l.Warn("w", 42, "non-string key")
	l.With("workflowId", "cancel/x/1", "token", "tok-value").Error("e", "secret", providers.NewSecret("inner"))
	all := logs.All()
	if len(all) != 4 {
		t.Fatalf("%d entries", len(all))
	}
	if m := all[0].ContextMap(); m["appSecret"] != "[redacted]" || m["provider"] != "gnete" || all[0].Level != zapcore.DebugLevel {
		t.Errorf("debug entry %v", m)
	}
	if m := all[1].ContextMap(); m["error"] != "boom" || m["extra"] != "dangling" {
		t.Errorf("info entry %v", m)
	}
	if m := all[2].ContextMap(); m["42"] != "non-string key" {
		t.Errorf("warn entry %v", m)
	}
	if m := all[3].ContextMap(); m["workflowId"] != "cancel/x/1" || m["token"] != "[redacted]" || m["secret"] != "[redacted]" {
		t.Errorf("error entry %v", m)
	}
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	for _, e := range all {
		buf, _ := enc.EncodeEntry(e.Entry, e.Context)
		for _, s := range []string{"s3cr3t-value", "tok-value", "inner"} {
			if strings.Contains(buf.String(), s) {
				t.Errorf("%q logged: %s", s, buf)
			}
		}
		if !strings.Contains(e.Caller.File, "logging_test.go") {
			t.Errorf("caller %s: want the line that logged, not the adapter", e.Caller.File)
		}
	}
}

func TestOpenFileFormats(t *testing.T) {
	dir := t.TempDir()
	for _, format := range []string{FormatJSON, FormatConsole} {
		path := filepath.Join(dir, "nested", format+".log")
		z, closeLog, err := Open(Config{Level: "info", Format: format, File: path})
		if err != nil {
			t.Fatal(err)
		}
		z.Debug("hidden")
		z.Info("worker started", zap.String("taskQueue", "paycancel"))
		NewTemporal(z).Warn("provider slow", "provider", "gnete", "apiKey", "k-123")
		if err := closeLog(); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || strings.Contains(string(b), "hidden") || strings.Contains(string(b), "k-123") {
			t.Fatalf("%s log:\n%s", format, b)
		}
		isJSON := json.Valid([]byte(lines[0]))
		if isJSON != (format == FormatJSON) {
			t.Errorf("%s log line %q: JSON %v", format, lines[0], isJSON)
		}
		if format == FormatConsole && (!strings.Contains(lines[0], "\tINFO\t") || !strings.Contains(lines[0], "worker started") ||
			!strings.Contains(lines[0], `{"taskQueue": "paycancel"}`) || !strings.Contains(lines[1], "\tWARN\t")) {
			t.Errorf("console log:\n%s", b)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("log file mode %v, %v; want 0600", fi.Mode().Perm(), err)
		}
	}
	// Appends across restarts.
	path := filepath.Join(dir, "nested", FormatJSON+".log")
	z, closeLog, err := Open(Config{Level: "warn", File: path})
	if err != nil {
		t.Fatal(err)
	}
	z.Warn("again")
	_ = closeLog()
	if b, _ := os.ReadFile(path); strings.Count(string(b), "\n") != 3 {
		t.Errorf("log not appended:\n%s", b)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, _, err := Open(Config{Level: "info", Format: "xml"}); err == nil || err.Error() != `log format "xml": want json or console` {
		t.Errorf("bad format: %v", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A log path under a regular file cannot be created: a clear error, no panic.
	if _, _, err := Open(Config{Level: "info", File: filepath.Join(file, "worker.log")}); err == nil || !strings.HasPrefix(err.Error(), "log file ") {
		t.Errorf("bad path: %v", err)
	}
}
