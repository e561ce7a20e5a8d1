package app

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/paycancel/paycancel/worker/connect"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// core is the part of Options these tests pin (other fields have their own tests).
type core struct {
	Connection                 connect.Options
	TaskQueue, ConfigPath      string
	LogLevel, HTTPAddr         string
	DataDir, SandboxAddr       string
	Dev                        bool
	DevFrontendPort, DevUIPort int
}

func pick(o Options) core {
	return core{o.Connection, o.TaskQueue, o.ConfigPath, o.LogLevel, o.HTTPAddr, o.DataDir, o.SandboxAddr, o.Dev, o.DevFrontendPort, o.DevUIPort}
}

func TestParseFlagsDefaults(t *testing.T) {
	var stderr bytes.Buffer
	o, err := ParseFlags([]string{"--dev"}, envOf(nil), &stderr)
	if err != nil {
		t.Fatal(err)
	}
	want := core{TaskQueue: "paycancel", LogLevel: "info", HTTPAddr: "127.0.0.1:8080", DataDir: ".paycancel",
		Dev: true, DevFrontendPort: 7233, DevUIPort: 8233, SandboxAddr: "127.0.0.1:8299"}
	if pick(o) != want {
		t.Errorf("defaults\n got %+v\nwant %+v", pick(o), want)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr: %q", stderr.String())
	}
}

func TestParseFlagsEnvAndPrecedence(t *testing.T) {
	env := envOf(map[string]string{
		"PAYCANCEL_TASK_QUEUE": "q-env", "PAYCANCEL_CONFIG": "/etc/env.yaml", "PAYCANCEL_LOG_LEVEL": "debug",
		"PAYCANCEL_HTTP_ADDR": "0.0.0.0:9000", "PAYCANCEL_DATA_DIR": "/var/env", "PAYCANCEL_SANDBOX_ADDR": "127.0.0.1:9299",
	})
	o, err := ParseFlags(nil, env, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want := core{TaskQueue: "q-env", ConfigPath: "/etc/env.yaml", LogLevel: "debug", HTTPAddr: "0.0.0.0:9000",
		DataDir: "/var/env", DevFrontendPort: 7233, DevUIPort: 8233, SandboxAddr: "127.0.0.1:9299"}
	if pick(o) != want {
		t.Errorf("from the environment\n got %+v\nwant %+v", pick(o), want)
	}

	// A flag beats its variable, whatever the order or form.
	o, err = ParseFlags([]string{"--task-queue=q-flag", "--config", "/etc/flag.yaml", "--log-level=WARN",
		"--http-addr", ":8081", "--data-dir=/var/flag", "--sandbox-addr=127.0.0.1:1", "--address", "temporal:7233",
		"--namespace", "payments", "--profile", "prod", "--dev-port", "17233", "--dev-ui-port=0"}, env, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	want = core{TaskQueue: "q-flag", ConfigPath: "/etc/flag.yaml", LogLevel: "WARN", HTTPAddr: ":8081", DataDir: "/var/flag",
		SandboxAddr: "127.0.0.1:1", DevFrontendPort: 17233, DevUIPort: 0,
		Connection: connect.Options{Address: "temporal:7233", Namespace: "payments", Profile: "prod"}}
	if pick(o) != want {
		t.Errorf("flags over the environment\n got %+v\nwant %+v", pick(o), want)
	}

	// An empty variable is no value: the default stands.
	o, err = ParseFlags([]string{"--dev"}, envOf(map[string]string{"PAYCANCEL_HTTP_ADDR": "", "PAYCANCEL_LOG_LEVEL": ""}), &bytes.Buffer{})
	if err != nil || o.HTTPAddr != "127.0.0.1:8080" || o.LogLevel != "info" {
		t.Errorf("empty variables: %+v, %v", o, err)
	}
	// A Temporal address with a scheme is left to the SDK.
	if _, err := ParseFlags([]string{"--dev", "--address", "dns:///temporal.internal:7233"}, envOf(nil), &bytes.Buffer{}); err != nil {
		t.Errorf("dns:/// address: %v", err)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"--dev", "--bogus"}, nil, "unknown flag: --bogus"},
		{"unknown shorthand", []string{"--dev", "-x"}, nil, "unknown shorthand flag: 'x' in -x"},
		{"flag without its value", []string{"--config"}, nil, "flag needs an argument: --config"},
		{"unknown argument", []string{"--dev", "run"}, nil, `unexpected argument "run" (the worker takes flags only)`},
		{"argument after --", []string{"--dev", "--", "--config=x"}, nil, `unexpected argument "--config=x" (the worker takes flags only)`},
		{"no config without --dev", nil, nil, "--config is required (or PAYCANCEL_CONFIG), unless --dev"},
		{"port not a number", []string{"--dev", "--dev-port=abc"}, nil, `invalid argument "abc" for "--dev-port" flag: want a port number between 0 and 65535`},
		{"port too large", []string{"--dev", "--dev-port", "70000"}, nil, `invalid argument "70000" for "--dev-port" flag: want a port number between 0 and 65535`},
		{"ui port negative", []string{"--dev", "--dev-ui-port=-1"}, nil, `invalid argument "-1" for "--dev-ui-port" flag: want a port number between 0 and 65535`},
		{"dev port zero", []string{"--dev", "--dev-port=0"}, nil, "--dev-port must not be 0"},
		{"ui port same as frontend", []string{"--dev", "--dev-port=9000", "--dev-ui-port=9000"}, nil, "--dev-ui-port 9000 is the same as --dev-port"},
		{"bool flag with a bad value", []string{"--dev=maybe"}, nil, `invalid argument "maybe" for "--dev" flag: strconv.ParseBool: parsing "maybe": invalid syntax`},
		{"empty task queue", []string{"--dev", "--task-queue", "  "}, nil, "--task-queue must not be empty"},
		{"empty task queue from env", []string{"--dev"}, map[string]string{"PAYCANCEL_TASK_QUEUE": " "}, "PAYCANCEL_TASK_QUEUE must not be empty"},
		{"bad log level", []string{"--dev", "--log-level=loud"}, nil, `--log-level "loud": want debug, info, warn or error`},
		{"bad log level from env", []string{"--dev"}, map[string]string{"PAYCANCEL_LOG_LEVEL": "trace"}, `PAYCANCEL_LOG_LEVEL "trace": want debug, info, warn or error`},
		{"bad log format", []string{"--dev", "--log-format=text"}, nil, `--log-format "text": want json or console`},
		{"bad log format from env", []string{"--dev"}, map[string]string{"PAYCANCEL_LOG_FORMAT": "JSON"}, `PAYCANCEL_LOG_FORMAT "JSON": want json or console`},
		{"http addr without port", []string{"--dev", "--http-addr=8080"}, nil, `--http-addr "8080": want host:port, e.g. 127.0.0.1:8080`},
		{"http addr named port", []string{"--dev", "--http-addr=localhost:http"}, nil, `--http-addr "localhost:http": port "http" is not a number between 0 and 65535`},
		{"http addr from env", []string{"--dev"}, map[string]string{"PAYCANCEL_HTTP_ADDR": "localhost"}, `PAYCANCEL_HTTP_ADDR "localhost": want host:port, e.g. 127.0.0.1:8080`},
		{"temporal address without port", []string{"--dev", "--address=temporal"}, nil, `--address "temporal": want host:port, e.g. 127.0.0.1:8080`},
		{"sandbox addr", []string{"--dev", "--sandbox-addr=127.0.0.1:99999"}, nil, `--sandbox-addr "127.0.0.1:99999": port "99999" is not a number between 0 and 65535`},
		{"sandbox addr only matters with --dev", []string{"--config=c.yaml", "--sandbox-addr=x"}, nil, ""},
		{"empty data dir", []string{"--dev", "--data-dir="}, nil, "--data-dir must not be empty with --dev"},
		{"every problem at once", []string{"--log-level=x", "--http-addr=y"}, nil,
			`--config is required (or PAYCANCEL_CONFIG), unless --dev; --log-level "x": want debug, info, warn or error; --http-addr "y": want host:port, e.g. 127.0.0.1:8080`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := ParseFlags(tc.args, envOf(tc.env), &stderr)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v (%T), want *UsageError", err, err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("message spans lines: %q", err)
			}
			// main prints the error; the parser itself must not add a usage dump.
			if stderr.Len() != 0 {
				t.Errorf("the parser wrote to stderr: %q", stderr.String())
			}
		})
	}
}

func TestParseFlagsLogging(t *testing.T) {
	cases := []struct {
		name            string
		args            []string
		env             map[string]string
		format, logFile string
	}{
		// Production: JSON on stderr, for the log pipeline.
		{"production", []string{"--config=c.yaml"}, nil, "json", ""},
		{"production to a file", []string{"--config=c.yaml", "--log-file=/var/log/paycancel.log"}, nil, "json", "/var/log/paycancel.log"},
		// --dev: the human format, in a file in the data dir (the banner prints it).
		{"dev", []string{"--dev"}, nil, "console", filepath.Join(".paycancel", "worker.log")},
		{"dev data dir", []string{"--dev", "--data-dir=/tmp/pc"}, nil, "console", "/tmp/pc/worker.log"},
		{"dev json", []string{"--dev", "--log-format=json"}, nil, "json", filepath.Join(".paycancel", "worker.log")},
		{"dev on stderr", []string{"--dev", "--log-file=-"}, nil, "console", ""},
		{"from the environment", []string{"--dev"}, map[string]string{"PAYCANCEL_LOG_FORMAT": "json", "PAYCANCEL_LOG_FILE": "-"}, "json", ""},
		{"flag over environment", []string{"--config=c.yaml", "--log-format=console"}, map[string]string{"PAYCANCEL_LOG_FORMAT": "json"}, "console", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ParseFlags(tc.args, envOf(tc.env), &bytes.Buffer{})
			if err != nil {
				t.Fatal(err)
			}
			if o.LogFormat != tc.format || o.LogFile != tc.logFile {
				t.Errorf("format %q, file %q; want %q, %q", o.LogFormat, o.LogFile, tc.format, tc.logFile)
			}
		})
	}
}

func TestParseFlagsHelp(t *testing.T) {
	var stderr bytes.Buffer
	_, err := ParseFlags([]string{"--help"}, envOf(nil), &stderr)
	if !errors.Is(err, pflag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	out := stderr.String()
	for _, want := range []string{"Usage: worker [flags]", "--config", "PAYCANCEL_CONFIG", "--dev-port port", "(default 7233)", "--http-addr", "--sandbox-addr", "--log-format", "--log-file"} {
		if !strings.Contains(out, want) {
			t.Errorf("usage lacks %q:\n%s", want, out)
		}
	}
}
