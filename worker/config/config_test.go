package config_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"gopkg.in/yaml.v3"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/logging"
	"github.com/paycancel/paycancel/workflows/contract"
)

// One throw-away RSA pair for every test in the package (generating keys is slow).
var (
	keyOnce           sync.Once
	testPriv, testPub []byte
)

func testKeys(t testing.TB) (priv, pub []byte) {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		if testPriv, testPub, err = providers.GenerateKeyPEM(2048); err != nil {
			panic(err)
		}
	})
	return testPriv, testPub
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func randomText(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + base64.StdEncoding.EncodeToString(b)
}

// provideSecrets walks a decoded configuration file and provides every secret it
// references: a generated key (private or public by the field's name) or a random
// secret, written to the referenced file or set in the referenced variable.
func provideSecrets(t *testing.T, f *config.File, baseDir string) (files, envs []string) {
	t.Helper()
	priv, pub := testKeys(t)
	var walk func(v reflect.Value, field string)
	walk = func(v reflect.Value, field string) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), field)
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(v.MapIndex(k), field)
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), field)
			}
		case reflect.Struct:
			if ref, ok := v.Interface().(providers.SecretRef); ok {
				var value string
				switch {
				case strings.Contains(field, "PrivateKey"):
					value = string(priv)
				case strings.Contains(field, "PublicKey"):
					value = string(pub)
				case field == "Secret":
					value = randomText(t, "whsec_")
				default:
					value = randomText(t, "")
				}
				switch {
				case ref.File != "":
					path := ref.File
					if !filepath.IsAbs(path) {
						path = filepath.Join(baseDir, path)
					}
					writeFile(t, path, []byte(value+"\n"))
					files = append(files, ref.File)
				case ref.Env != "":
					t.Setenv(ref.Env, value)
					envs = append(envs, ref.Env)
				default:
					t.Errorf("secret reference %s names neither file nor env", field)
				}
				return
			}
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i), v.Type().Field(i).Name)
				}
			}
		}
	}
	walk(reflect.ValueOf(f), "")
	return files, envs
}

// loadExample copies paycancel.example.yaml into a temporary folder, provides the
// keys and variables it references, and loads it as the worker would.
func loadExample(t *testing.T) (*config.Config, []string, []string) {
	t.Helper()
	data, err := os.ReadFile("../../paycancel.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "paycancel.yaml")
	writeFile(t, path, data)
	f, baseDir, err := config.ReadFile(path)
	if err != nil {
		t.Fatalf("decoding the example: %v", err)
	}
	files, envs := provideSecrets(t, f, baseDir)
	cfg, err := config.Load(path, providers.Deps{})
	if err != nil {
		t.Fatalf("loading the example (files %v, env %v provided):\n%v", files, envs, err)
	}
	return cfg, files, envs
}

func TestExampleConfigLoads(t *testing.T) {
	cfg, files, envs := loadExample(t)
	if len(files) < 10 || len(envs) < 3 {
		t.Errorf("the example should show both kinds of reference: %d files %v, %d env %v", len(files), files, len(envs), envs)
	}
	if cfg.CallbackBaseURL != "https://paycancel.example.com" {
		t.Errorf("callbackBaseURL = %q", cfg.CallbackBaseURL)
	}
	if got := sortedKeys(cfg.Merchants); !reflect.DeepEqual(got, []string{"acme", "globex"}) {
		t.Errorf("merchants = %v", got)
	}
	wantCreds := map[string]string{
		"acme-payermax": "payermax", "acme-alipayplus": "alipayplus", "acme-gnete": "gnete",
		"acme-ksher": "ksher", "acme-alipayglobal": "alipayglobal", "globex-payermax": "payermax",
	}
	if len(cfg.Credentials) != len(wantCreds) {
		t.Errorf("credentials = %v", sortedKeys(cfg.Credentials))
	}
	for name, provider := range wantCreds {
		c, ok := cfg.Credential(name)
		if !ok {
			t.Errorf("credential %s missing", name)
			continue
		}
		if c.Provider.Name() != provider || c.Name != name {
			t.Errorf("credential %s: provider %s, name %s", name, c.Provider.Name(), c.Name)
		}
		if want := strings.SplitN(name, "-", 2)[0]; c.Merchant != want {
			t.Errorf("credential %s: merchant %s, want %s", name, c.Merchant, want)
		}
	}
	acme, globex := cfg.Merchants["acme"], cfg.Merchants["globex"]
	if acme.NotifySecret.IsZero() || globex.NotifySecret.IsZero() {
		t.Error("notification secrets not loaded")
	}
	if acme.DefaultURL != "https://orders.acme.example/hooks/paycancel" || globex.DefaultURL != "" {
		t.Errorf("default URLs %q, %q", acme.DefaultURL, globex.DefaultURL)
	}
	if !reflect.DeepEqual(acme.RetrySchedule, contract.DefaultNotifySchedule) || !reflect.DeepEqual(globex.RetrySchedule, contract.DefaultNotifySchedule) {
		t.Errorf("retry schedules %v, %v", acme.RetrySchedule, globex.RetrySchedule)
	}

	for p, want := range map[string]config.ProviderLimits{
		"payermax": {Concurrency: 20, RatePerSecond: 50}, "ksher": {Concurrency: 5},
		"gnete": {Concurrency: config.DefaultProviderConcurrency},
	} {
		if got := cfg.ProviderLimits[p]; got != want {
			t.Errorf("provider limits of %s: %+v, want %+v", p, got, want)
		}
	}

	pol := func(name string) config.Policy { return cfg.Credentials[name].Policy }
	if p := pol("acme-payermax"); p.PaymentPoll != 30*time.Second || p.MaxCancelAttempts != 10 ||
		p.Window != (config.CancelWindow{Rule: "after", After: config.Duration(168 * time.Hour)}) ||
		p.QueryBackoff != (contract.Backoff{Initial: 5 * time.Second, Max: 10 * time.Minute, Multiplier: 2}) {
		t.Errorf("acme-payermax policy %+v", p)
	}
	if p := pol("acme-gnete"); p.QueryBackoff != (contract.Backoff{Initial: 10 * time.Second, Max: 5 * time.Minute, Multiplier: 2}) ||
		p.Window.Rule != "sameDay" || p.Window.TimeZone != "Asia/Hong_Kong" {
		t.Errorf("acme-gnete policy %+v", p)
	}
	if p := pol("acme-ksher"); p.MaxCancelAttempts != 20 || p.Window != (config.CancelWindow{Rule: "none", After: config.Duration(48 * time.Hour)}) {
		t.Errorf("acme-ksher policy %+v", p)
	}
	if p := pol("acme-alipayglobal"); p.CancelRetry != (contract.Backoff{Initial: time.Second, Max: 30 * time.Second, Multiplier: 1.5}) ||
		p.Window != (config.CancelWindow{Rule: "sameDay", TimeZone: "Asia/Shanghai", Buffer: config.Duration(15 * time.Minute)}) {
		t.Errorf("acme-alipayglobal policy %+v", p)
	}
	if p := pol("acme-alipayplus"); p.Window != (config.CancelWindow{Rule: "after", After: config.Duration(12 * time.Hour)}) {
		t.Errorf("acme-alipayplus policy %+v", p)
	}
	// No policy section: every default.
	want := config.Policy{
		QueryBackoff:      contract.Backoff{Initial: 5 * time.Second, Max: 10 * time.Minute, Multiplier: 2},
		CancelRetry:       contract.Backoff{Initial: 2 * time.Second, Max: 2 * time.Minute, Multiplier: 2},
		MaxCancelAttempts: 10,
		Window:            config.CancelWindow{Rule: "after", After: config.Duration(7 * 24 * time.Hour)},
	}
	if p := pol("globex-payermax"); p != want {
		t.Errorf("globex-payermax default policy\n got %+v\nwant %+v", p, want)
	}
}

// TestExampleIsComplete: every field a configuration can hold is shown in the
// example, so adding a field without documenting it there fails here.
func TestExampleIsComplete(t *testing.T) {
	data, err := os.ReadFile("../../paycancel.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]map[string]bool{} // Go type → YAML keys used somewhere
	mark := func(typ string, m map[string]any) {
		if seen[typ] == nil {
			seen[typ] = map[string]bool{}
		}
		for k := range m {
			seen[typ][k] = true
		}
	}
	asMap := func(v any) map[string]any { m, _ := v.(map[string]any); return m }
	mark("config.File", doc)
	for _, l := range asMap(doc["providerLimits"]) {
		mark("config.ProviderLimits", asMap(l))
	}
	for _, m := range asMap(doc["merchants"]) {
		mark("config.Merchant", asMap(m))
		mark("config.Notify", asMap(asMap(m)["notify"]))
		for _, c := range asMap(asMap(m)["credentials"]) {
			cm := asMap(c)
			mark("config.Credential", cm)
			pol := asMap(cm["policy"])
			mark("config.PolicyFile", pol)
			for _, b := range []string{"queryBackoff", "cancelRetry"} {
				mark("config.BackoffFile", asMap(pol[b]))
			}
			mark("config.CancelWindow", asMap(pol["cancelWindow"]))
			provider, _ := cm["provider"].(string)
			mark(provider+".Config", asMap(cm[provider]))
		}
	}
	for typ, fields := range config.YAMLFields() {
		if typ == "providers.SecretRef" {
			continue // file and env are both shown; checked by TestExampleConfigLoads
		}
		for _, f := range fields {
			if typ == "config.Credential" && f != "provider" && f != "policy" {
				continue // one provider section per credential
			}
			if !seen[typ][f] {
				t.Errorf("the example does not show %s field %q", typ, f)
			}
		}
	}
}

// fixture writes the files the bad-config cases reference into a fresh folder.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	priv, pub := testKeys(t)
	writeFile(t, filepath.Join(dir, "priv.pem"), priv)
	writeFile(t, filepath.Join(dir, "pub.pem"), pub)
	writeFile(t, filepath.Join(dir, "notify.secret"), []byte("whsec_"+base64.StdEncoding.EncodeToString([]byte("fixture-notify-key"))))
	writeFile(t, filepath.Join(dir, "empty.secret"), []byte("\n"))
	writeFile(t, filepath.Join(dir, "gnete.secret"), []byte("fixture-gnete-secret"))
	writeFile(t, filepath.Join(dir, "priv1024.pem"), smallKey(t))
	ksher512, err := os.ReadFile(filepath.Join("..", "..", "providers", "ksher", "testdata", "ksher512_public.pem"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "ksher512.pem"), ksher512)
	return dir
}

var (
	smallOnce sync.Once
	smallPEM  []byte
)

// smallKey is a 1024-bit RSA private key (PKCS#8 PEM): below the merchant floor.
func smallKey(t *testing.T) []byte {
	t.Helper()
	smallOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			panic(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		smallPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	})
	return smallPEM
}

// TestKsherKeepsItsSmallKey: Ksher's 512-bit public key still loads for Ksher.
func TestKsherKeepsItsSmallKey(t *testing.T) {
	dir := fixture(t)
	y := goodYAML + `      c2:
        provider: ksher
        ksher: {baseURL: "http://127.0.0.1:9/api", appId: mch1, merchantPrivateKey: {file: priv.pem}, ksherPublicKey: {file: ksher512.pem}}
`
	if _, err := config.Parse("good.yaml", []byte(y), providers.Deps{BaseDir: dir}); err != nil {
		t.Fatal(err)
	}
}

// A valid file the cases below start from (one flow-style line per credential).
const goodYAML = `merchants:
  m1:
    notify:
      secret: {file: notify.secret}
    credentials:
      c1:
        provider: payermax
        payermax: {baseURL: "http://127.0.0.1:9/pm", appId: app1, merchantPrivateKey: {file: priv.pem}, providerPublicKey: {file: pub.pem}}
`

const pmSection = `payermax: {baseURL: "http://127.0.0.1:9/pm", appId: app1, merchantPrivateKey: {file: priv.pem}, providerPublicKey: {file: pub.pem}}`

func TestGoodFixtureLoads(t *testing.T) {
	dir := fixture(t)
	if _, err := config.Parse("good.yaml", []byte(goodYAML), providers.Deps{BaseDir: dir}); err != nil {
		t.Fatal(err)
	}
}

func TestBadConfigs(t *testing.T) {
	topFields := strings.Join(config.YAMLFields()["config.File"], ", ")
	t.Setenv("PAYCANCEL_TEST_SET", "a-value")
	cases := []struct {
		name string
		yaml string
		want string // the whole error; $DIR is the fixture folder
	}{
		{"empty file", "", "config bad.yaml: the file is empty"},
		{"only comments", "# nothing here\n", "config bad.yaml: the file is empty"},
		{"empty merchants", "merchants: {}\n", "config bad.yaml: merchants: at least one merchant is required"},
		{"no merchants key", "callbackBaseURL: https://x.example\n", "config bad.yaml: merchants: at least one merchant is required"},
		{"two documents", goodYAML + "---\n" + goodYAML, `config bad.yaml: holds more than one YAML document (a line "---"); write one`},
		{"not YAML", "merchants: [\n", "config bad.yaml: line 1: did not find expected node content"},
		{"top level is a list", "- a\n- b\n", "config bad.yaml: line 1: a list is not a mapping (fields: " + topFields + ")"},
		{"unknown top-level field", "merchant: {}\n" + goodYAML,
			`config bad.yaml: line 1: merchant: unknown field "merchant" (known fields: ` + topFields + ")"},
		{"unknown provider in limits", "providerLimits: {stripe: {concurrency: 1}}\n" + goodYAML,
			"config bad.yaml: providerLimits.stripe: unknown provider (one of payermax, alipayplus, gnete, ksher, alipayglobal)"},
		{"unknown notify field with line", strings.Replace(goodYAML, "      secret:", "      secrte: x\n      secret:", 1),
			`config bad.yaml: line 4: merchants.m1.notify.secrte: unknown field "secrte" (known fields: secret, defaultURL, retrySchedule)`},
		{"unknown provider-section field", strings.Replace(goodYAML, "appId: app1", "appID: app1", 1),
			`config bad.yaml: line 8: merchants.m1.credentials.c1.payermax.appID: unknown field "appID" (known fields: baseURL, appId, merchantNo, keyVersion, version, merchantPrivateKey, providerPublicKey)`},
		{"value in a secret reference", strings.Replace(goodYAML, "{file: notify.secret}", "{value: hunter2}", 1),
			`config bad.yaml: line 4: merchants.m1.notify.secret.value: unknown field "value" (known fields: file, env)`},
		{"unknown provider", strings.Replace(goodYAML, "provider: payermax", "provider: stripe", 1),
			`config bad.yaml: merchants.m1.credentials.c1.provider: unknown provider "stripe" (one of payermax, alipayplus, gnete, ksher, alipayglobal)`},
		{"provider missing", strings.Replace(goodYAML, "        provider: payermax\n", "", 1),
			`config bad.yaml: merchants.m1.credentials.c1.provider: is required (one of payermax, alipayplus, gnete, ksher, alipayglobal)`},
		{"section mismatch", strings.Replace(goodYAML, "provider: payermax", "provider: ksher", 1),
			"config bad.yaml: merchants.m1.credentials.c1.payermax: section given but provider is ksher"},
		{"missing section", strings.Replace(goodYAML, "        "+pmSection+"\n", "", 1),
			"config bad.yaml: merchants.m1.credentials.c1.payermax: section is required for provider payermax"},
		// Key floors: file, field and reason.
		{"provider key under 1024 bits", strings.Replace(goodYAML, "{file: pub.pem}", "{file: ksher512.pem}", 1),
			"config bad.yaml: merchants.m1.credentials.c1.payermax.providerPublicKey: file $DIR/ksher512.pem holds a 512-bit RSA key: this provider's public key must have at least 1024 bits (is it the right file?)"},
		{"ksher merchant key under 2048 bits", goodYAML + `      c2:
        provider: ksher
        ksher: {baseURL: "http://127.0.0.1:9/api", appId: mch1, merchantPrivateKey: {file: priv1024.pem}, ksherPublicKey: {file: ksher512.pem}}
`,
			"config bad.yaml: merchants.m1.credentials.c2.ksher.merchantPrivateKey: file $DIR/priv1024.pem holds a 1024-bit RSA key: merchant private keys must have at least 2048 bits (make a new key pair and register its public key with the provider)"},
		{"bad duration", strings.Replace(goodYAML, "    credentials:", "      retrySchedule: [0s, 30x]\n    credentials:", 1),
			`config bad.yaml: line 5: merchants.m1.notify.retrySchedule[1]: "30x" is not a duration (use e.g. 30s, 5m, 168h)`},
		{"negative duration", strings.Replace(goodYAML, "    credentials:", "      retrySchedule:\n        - 0s\n        - -5s\n    credentials:", 1),
			`config bad.yaml: line 7: merchants.m1.notify.retrySchedule[1]: duration "-5s" is negative`},
		{"duration as a list", strings.Replace(goodYAML, "    credentials:", "      retrySchedule: [[1s]]\n    credentials:", 1),
			`config bad.yaml: line 5: merchants.m1.notify.retrySchedule[0]: a list is not a duration such as "30s"`},
		{"several decoding problems at once", strings.Replace(goodYAML, "    credentials:", "      retrySchedule: [1d]\n      color: red\n    credentials:", 1),
			"config bad.yaml: line 5: merchants.m1.notify.retrySchedule[0]: \"1d\" is not a duration (use e.g. 30s, 5m, 168h)\n" +
				`config bad.yaml: line 6: merchants.m1.notify.color: unknown field "color" (known fields: secret, defaultURL, retrySchedule)`},
		{"number expected", strings.Replace(goodYAML, "        payermax:", "        policy: {maxCancelAttempts: many}\n        payermax:", 1),
			`config bad.yaml: line 8: merchants.m1.credentials.c1.policy.maxCancelAttempts: "many" is not a whole number`},
		{"duplicate credential across merchants", goodYAML + `  m2:
    notify:
      secret: {file: notify.secret}
    credentials:
      c1:
        provider: payermax
        ` + pmSection + "\n",
			"config bad.yaml: merchants.m2.credentials.c1: name is already used by merchant m1 (credential names are unique across merchants)"},
		{"bad callback URL", "callbackBaseURL: ftp://files.example\n" + goodYAML,
			`config bad.yaml: callbackBaseURL: "ftp://files.example" is not an http(s) URL`},
		{"bad default URL", strings.Replace(goodYAML, "    credentials:", "      defaultURL: orders.example/hook\n    credentials:", 1),
			`config bad.yaml: merchants.m1.notify.defaultURL: "orders.example/hook" is not an http(s) URL`},
		{"bad provider base URL", strings.Replace(goodYAML, `"http://127.0.0.1:9/pm"`, `"127.0.0.1:9/pm"`, 1),
			"config bad.yaml: merchants.m1.credentials.c1.payermax.baseURL: must be an absolute http(s) URL"},
		{"bad merchant name", strings.Replace(goodYAML, "  m1:", "  m 1:", 1),
			"config bad.yaml: merchants.m 1: name may hold only letters, digits, '-', '_' and '.'"},
		{"merchant without credentials", "merchants:\n  m1:\n    notify: {secret: {file: notify.secret}}\n",
			"config bad.yaml: merchants.m1.credentials: at least one credential set is required"},
		{"empty merchant", "merchants:\n  m1:\n",
			"config bad.yaml: merchants.m1: is empty"},
		{"every problem reported, in order", strings.Replace(strings.Replace(goodYAML, "{file: notify.secret}", "{env: PAYCANCEL_TEST_UNSET}", 1),
			"        payermax:", "        policy: {maxCancelAttempts: 0}\n        payermax:", 1) + `      c2:
        provider: gnete
        gnete: {baseURL: "http://127.0.0.1:9", mchNo: M1, appId: A1, appSecret: {file: missing.secret}}
`,
			"config bad.yaml: merchants.m1.notify.secret: environment variable PAYCANCEL_TEST_UNSET is not set\n" +
				"config bad.yaml: merchants.m1.credentials.c1.policy.maxCancelAttempts: between 1 and 1000, got 0\n" +
				"config bad.yaml: merchants.m1.credentials.c2.gnete.appSecret: file $DIR/missing.secret: no such file or directory"},
	}
	// Cases that each put one value into goodYAML, and whose errors all name one
	// field (prefix: the error up to the value's own part).
	type edit struct{ name, value, want string }
	addEdits := func(prefix string, with func(value string) string, edits []edit) {
		for _, e := range edits {
			cases = append(cases, struct{ name, yaml, want string }{e.name, with(e.value), "config bad.yaml: " + prefix + e.want})
		}
	}
	// The notify secret's reference.
	addEdits("merchants.m1.notify.secret: ", func(ref string) string {
		return strings.Replace(goodYAML, "{file: notify.secret}", ref, 1)
	}, []edit{
		{"empty secret file", "{file: empty.secret}",
			"file $DIR/empty.secret is empty"},
		{"missing env var", "{env: PAYCANCEL_TEST_UNSET}",
			"environment variable PAYCANCEL_TEST_UNSET is not set"},
		{"both file and env", "{file: notify.secret, env: PAYCANCEL_TEST_SET}",
			"give only one of file and env"},
		{"secret reference empty", "{}",
			"not set: give file or env"},
		{"malformed whsec secret", "{env: PAYCANCEL_TEST_BAD_WHSEC}",
			`malformed: after "whsec_" comes the key in standard base64`},
	})
	// The merchant private key's file.
	addEdits("merchants.m1.credentials.c1.payermax.merchantPrivateKey: file $DIR/", func(file string) string {
		return strings.Replace(goodYAML, "{file: priv.pem}", "{file: "+file+"}", 1)
	}, []edit{
		{"missing secret file", "keys/nope.pem",
			"keys/nope.pem: no such file or directory"},
		{"key file is not a key", "gnete.secret",
			"gnete.secret: key is neither PEM nor base64 DER: illegal base64 data at input byte 7"},
		{"public key where the private key goes", "pub.pem",
			"pub.pem: private key is neither PKCS#8 nor PKCS#1 RSA"},
		{"merchant key under 2048 bits", "priv1024.pem",
			"priv1024.pem holds a 1024-bit RSA key: merchant private keys must have at least 2048 bits (make a new key pair and register its public key with the provider)"},
	})
	// Policy rules, in credential c1.
	addEdits("merchants.m1.credentials.c1.policy.", func(policy string) string {
		return strings.Replace(goodYAML, "        payermax:", "        policy: "+policy+"\n        payermax:", 1)
	}, []edit{
		{"bad window rule", "{cancelWindow: {rule: weekly}}",
			`cancelWindow.rule: "weekly" is not one of after, sameDay, none`},
		{"bad time zone", "{cancelWindow: {rule: sameDay, timeZone: Mars/Olympus}}",
			`cancelWindow.timeZone: "Mars/Olympus" is not an IANA time zone (e.g. Asia/Shanghai)`},
		{"sameDay without zone", "{cancelWindow: {rule: sameDay}}",
			`cancelWindow.timeZone: required for rule sameDay (an IANA zone such as Asia/Shanghai)`},
		{"after without length", "{cancelWindow: {rule: after}}",
			`cancelWindow.after: required and positive for rule "after"`},
		{"backoff initial too small", "{queryBackoff: {initial: 100ms, max: 1m}}",
			"queryBackoff.initial: at least 1s, got 100ms"},
		{"backoff max below initial", "{cancelRetry: {initial: 1m, max: 10s}}",
			"cancelRetry.max: 10s is below initial 1m0s"},
		{"backoff multiplier", "{cancelRetry: {initial: 1s, max: 10s, multiplier: 0.5}}",
			"cancelRetry.multiplier: between 1 and 10, got 0.5"},
		{"max attempts", "{maxCancelAttempts: 0}",
			"maxCancelAttempts: between 1 and 1000, got 0"},
		{"payment poll", "{paymentPoll: 10ms}",
			"paymentPoll: at least 1s (or 0 to disable)"},
	})
	t.Setenv("PAYCANCEL_TEST_BAD_WHSEC", "whsec_***not-base64***")
	dir := fixture(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse("bad.yaml", []byte(tc.yaml), providers.Deps{BaseDir: dir})
			if err == nil {
				t.Fatalf("loaded (%d credentials); want error\n%s", len(cfg.Credentials), tc.want)
			}
			got := strings.ReplaceAll(err.Error(), dir, "$DIR")
			if got != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tc.want)
			}
			for _, secret := range []string{"***not-base64***", "fixture-gnete-secret", "fixture-notify-key", "a-value", "hunter2"} {
				if strings.Contains(err.Error(), secret) && !strings.Contains(tc.yaml, secret) {
					t.Errorf("error reveals the secret %q: %s", secret, err)
				}
			}
		})
	}
}

// TestLoadErrorsNameTheFile: Load reports the path it was given.
func TestLoadErrorsNameTheFile(t *testing.T) {
	dir := fixture(t)
	_, err := config.Load(filepath.Join(dir, "absent.yaml"), providers.Deps{})
	if want := "config " + filepath.Join(dir, "absent.yaml") + ": no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("missing file: %v, want %s", err, want)
	}
	path := filepath.Join(dir, "paycancel.yaml")
	writeFile(t, path, []byte(strings.Replace(goodYAML, "appId: app1", "appId: \"\"", 1)))
	_, err = config.Load(path, providers.Deps{})
	if want := "config " + path + ": merchants.m1.credentials.c1.payermax.appId: required"; err == nil || err.Error() != want {
		t.Errorf("bad field: %v, want %s", err, want)
	}
	// Relative key paths are resolved against the file's folder, whatever the
	// working directory.
	writeFile(t, path, []byte(goodYAML))
	if _, err := config.Load(path, providers.Deps{}); err != nil {
		t.Errorf("relative key files: %v", err)
	}
}

// TestSecretsNeverRender loads a configuration with known secret values for all
// five providers and renders everything loaded through fmt, JSON and zap.
func TestSecretsNeverRender(t *testing.T) {
	dir := t.TempDir()
	priv, pub := testKeys(t)
	key, err := providers.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	const (
		notifyKey   = "KNOWN-notify-key-7d1f0c"
		gneteSecret = "KNOWN-gnete-app-secret-55e2"
		envSecret   = "KNOWN-env-notify-secret-a9"
	)
	notifySecret := "whsec_" + base64.StdEncoding.EncodeToString([]byte(notifyKey))
	writeFile(t, filepath.Join(dir, "notify.secret"), []byte(notifySecret))
	writeFile(t, filepath.Join(dir, "priv.pem"), priv)
	writeFile(t, filepath.Join(dir, "pub.pem"), pub)
	t.Setenv("PAYCANCEL_TEST_GNETE", gneteSecret)
	t.Setenv("PAYCANCEL_TEST_NOTIFY2", envSecret)
	yml := `callbackBaseURL: http://127.0.0.1:9
merchants:
  m1:
    notify: {secret: {file: notify.secret}, defaultURL: "http://127.0.0.1:9/hook"}
    credentials:
      pm: {provider: payermax, payermax: {baseURL: "http://127.0.0.1:9", appId: a, merchantPrivateKey: {file: priv.pem}, providerPublicKey: {file: pub.pem}}}
      ap: {provider: alipayplus, alipayplus: {baseURL: "http://127.0.0.1:9", clientID: c, merchantPrivateKey: {file: priv.pem}, walletPublicKey: {file: pub.pem}}}
      gn: {provider: gnete, gnete: {baseURL: "http://127.0.0.1:9", mchNo: M1, appId: A1, appSecret: {env: PAYCANCEL_TEST_GNETE}}}
      ks: {provider: ksher, ksher: {baseURL: "http://127.0.0.1:9", appId: mch1, merchantPrivateKey: {file: priv.pem}, ksherPublicKey: {file: pub.pem}}}
      ag: {provider: alipayglobal, alipayglobal: {baseURL: "http://127.0.0.1:9", clientId: c, partnerId: p, merchantPrivateKey: {file: priv.pem}, alipayPublicKey: {file: pub.pem}}}
  m2:
    notify: {secret: {env: PAYCANCEL_TEST_NOTIFY2}}
    credentials:
      pm2: {provider: payermax, payermax: {baseURL: "http://127.0.0.1:9", appId: b, merchantPrivateKey: {file: priv.pem}, providerPublicKey: {file: pub.pem}}}
`
	path := filepath.Join(dir, "c.yaml")
	writeFile(t, path, []byte(yml))
	cfg, err := config.Load(path, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Merchants["m1"].NotifySecret.Reveal() != notifySecret || cfg.Merchants["m2"].NotifySecret.Reveal() != envSecret {
		t.Fatal("secrets not loaded")
	}

	// What must never appear: the secrets, their decoded form, every line of the
	// private key's PEM body, and the private exponent in decimal, hex and base64.
	forbidden := []string{notifySecret, notifyKey, gneteSecret, envSecret,
		key.D.String(), hex.EncodeToString(key.D.Bytes()), base64.StdEncoding.EncodeToString(key.D.Bytes())[:40],
		key.Primes[0].String()}
	for _, line := range strings.Split(string(priv), "\n") {
		if len(line) > 20 && !strings.HasPrefix(line, "-----") {
			forbidden = append(forbidden, line)
		}
	}

	var values []any
	values = append(values, cfg, *cfg)
	for _, n := range sortedKeys(cfg.Merchants) {
		values = append(values, cfg.Merchants[n], *cfg.Merchants[n])
	}
	for _, n := range sortedKeys(cfg.Credentials) {
		c := cfg.Credentials[n]
		values = append(values, c, *c)
	}
	f, _, err := config.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	values = append(values, f, *f)

	var renders []string
	for _, v := range values {
		renders = append(renders, fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprint(v))
		if b, err := json.Marshal(v); err == nil {
			renders = append(renders, string(b))
		} else {
			renders = append(renders, "json error: "+err.Error())
		}
		b, _ := yaml.Marshal(v)
		renders = append(renders, string(b))
	}

	core, logs := observer.New(zapcore.DebugLevel)
	z := zap.New(core)
	z.Info("loaded", zap.Any("config", cfg), zap.Reflect("reflected", cfg), zap.Any("file", f))
	for _, n := range sortedKeys(cfg.Merchants) {
		z.Info("merchant", zap.Any("merchant", cfg.Merchants[n]), zap.Stringer("secret", cfg.Merchants[n].NotifySecret))
	}
	for _, n := range sortedKeys(cfg.Credentials) {
		c := cfg.Credentials[n]
		z.Info("credential", zap.Any("credential", c), zap.Any("provider", c.Provider), zap.Reflect("providerReflect", c.Provider))
	}
	logging.NewTemporal(z).Info("sdk-style", "config", cfg, "merchant", cfg.Merchants["m1"], "notifySecret", notifySecret, "appSecret", gneteSecret)
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	for _, e := range logs.All() {
		buf, err := enc.EncodeEntry(e.Entry, e.Context)
		if err != nil {
			t.Fatal(err)
		}
		renders = append(renders, buf.String())
	}

	for _, r := range renders {
		for _, s := range forbidden {
			if strings.Contains(r, s) {
				t.Fatalf("secret %.12s… appears in a rendering:\n%.600s", s, r)
			}
		}
	}
	if !strings.Contains(strings.Join(renders, "\n"), "[redacted]") {
		t.Error("no rendering shows [redacted]; the secrets were not rendered at all?")
	}

	// The adapters themselves, printed directly (not through the config): fmt
	// cannot call Secret's Format on an unexported field and prints the struct's
	// contents, so an adapter holding a providers.Secret in an unexported field
	// leaks it to %v. The fix belongs in providers/secret.go (keep the value behind
	// a pointer, which fmt prints as an address); until then this is reported, not
	// failed, so that it stays visible without breaking the build.
	t.Run("adapters printed directly", func(t *testing.T) {
		var leaks []string
		for _, n := range sortedKeys(cfg.Credentials) {
			p := cfg.Credentials[n].Provider
			for _, v := range []any{p, reflect.Indirect(reflect.ValueOf(p)).Interface()} {
				for _, r := range []string{fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v)} {
					for _, s := range forbidden {
						if strings.Contains(r, s) {
							leaks = append(leaks, fmt.Sprintf("%s (%T) shows %.8s…", n, p, s))
						}
					}
				}
				b, _ := json.Marshal(v)
				for _, s := range forbidden {
					if strings.Contains(string(b), s) {
						t.Errorf("%s: JSON of the adapter shows a secret: %s", n, b)
					}
				}
			}
		}
		if len(leaks) > 0 {
			t.Errorf("fmt of an adapter prints a secret: %s", strings.Join(dedupe(leaks), "; "))
		}
	})
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func TestWindowDeadline(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	sameDay := config.CancelWindow{Rule: "sameDay", TimeZone: "Asia/Shanghai", Buffer: config.Duration(15 * time.Minute)}
	cases := []struct {
		name   string
		w      config.CancelWindow
		start  time.Time
		expect time.Time
	}{
		{"sameDay: 23:59 Beijing ends that night + 15m", sameDay,
			time.Date(2024, 3, 10, 15, 59, 0, 0, time.UTC), // 23:59 in Shanghai
			time.Date(2024, 3, 11, 0, 15, 0, 0, shanghai)},
		{"sameDay: midnight Beijing is the next day", sameDay,
			time.Date(2024, 3, 10, 16, 0, 0, 0, time.UTC), // 00:00 on the 11th in Shanghai
			time.Date(2024, 3, 12, 0, 15, 0, 0, shanghai)},
		{"sameDay: a UTC morning is a Beijing afternoon", sameDay,
			time.Date(2024, 3, 10, 1, 0, 0, 0, time.UTC),
			time.Date(2024, 3, 11, 0, 15, 0, 0, shanghai)},
		{"sameDay: year end", sameDay,
			time.Date(2024, 12, 31, 12, 0, 0, 0, shanghai),
			time.Date(2025, 1, 1, 0, 15, 0, 0, shanghai)},
		{"sameDay without buffer (Hong Kong)", config.CancelWindow{Rule: "sameDay", TimeZone: "Asia/Hong_Kong"},
			time.Date(2024, 3, 10, 15, 59, 0, 0, time.UTC),
			time.Date(2024, 3, 10, 16, 0, 0, 0, time.UTC)},
		{"after: start + 7 days", config.CancelWindow{Rule: "after", After: config.Duration(168 * time.Hour)},
			time.Date(2024, 3, 10, 15, 59, 0, 0, time.UTC),
			time.Date(2024, 3, 17, 15, 59, 0, 0, time.UTC)},
		{"none: start + the longest wait", config.CancelWindow{Rule: "none", After: config.Duration(24 * time.Hour)},
			time.Date(2024, 3, 10, 15, 59, 0, 0, time.UTC),
			time.Date(2024, 3, 11, 15, 59, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		if got := tc.w.Deadline(tc.start); !got.Equal(tc.expect) {
			t.Errorf("%s: Deadline(%s) = %s, want %s", tc.name, tc.start, got, tc.expect.UTC())
		}
	}
}

// TestProviderDefaults: each provider's documented window when the file says nothing.
func TestProviderDefaults(t *testing.T) {
	want := map[string]config.CancelWindow{
		"payermax":     {Rule: "after", After: config.Duration(7 * 24 * time.Hour)},
		"alipayplus":   {Rule: "after", After: config.Duration(24 * time.Hour)},
		"gnete":        {Rule: "sameDay", TimeZone: "Asia/Hong_Kong"},
		"ksher":        {Rule: "none", After: config.Duration(24 * time.Hour)},
		"alipayglobal": {Rule: "sameDay", TimeZone: "Asia/Shanghai", Buffer: config.Duration(15 * time.Minute)},
	}
	for _, p := range contract.ProviderNames {
		pol, err := config.BuildPolicy(p, config.PolicyFile{})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if pol.Window != want[p] {
			t.Errorf("%s window %+v, want %+v", p, pol.Window, want[p])
		}
	}
}

// TestDurationYAMLRoundTrip: the dev configuration is written with MarshalYAML and
// read back with UnmarshalYAML.
func TestDurationYAMLRoundTrip(t *testing.T) {
	in := config.Notify{Secret: providers.SecretRef{Env: "X"}, RetrySchedule: []config.Duration{0, config.Duration(1500 * time.Millisecond), config.Duration(2 * time.Hour)}}
	b, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "1.5s") || !strings.Contains(string(b), "2h0m0s") {
		t.Errorf("marshalled as %s", b)
	}
	var out config.Notify
	if err := yaml.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(in, out) {
		t.Errorf("round trip: %+v, %v", out, err)
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
