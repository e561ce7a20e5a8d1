package gnete

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/providertest"
)

var testSecret = providers.NewSecret("offline-test-key")

// The merchant the golden answers in testdata belong to.
const (
	devMchNo = "M1621873433953"
	devAppID = "60cc09bce4b0f1c0b83761c9"
)

// withCommon adds the three fields every official vector carries.
func withCommon(p map[string]any) map[string]any {
	m := map[string]any{"version": "1.0", "signType": "MD5", "reqTime": json.Number("1700000000123")}
	for k, v := range p {
		m[k] = v
	}
	return m
}

// The seven official vectors (GNETE's Jeepay signing page), secret offline-test-key.
var officialVectors = []struct {
	name   string
	params map[string]any
	want   string
}{
	{"merchant fields", map[string]any{"mchNo": "M1621873433953", "appId": "60cc09bce4b0f1c0b83761c9", "amount": json.Number("100")}, "CE76B1B36C5B683AD2F8FB0FCA95055B"},
	{"zeros kept", map[string]any{"amount": json.Number("0"), "state": json.Number("0")}, "6F5CE7D1150794CB08A853964CDF3723"},
	{"null and empty dropped", map[string]any{"amount": json.Number("1"), "absent": nil, "empty": ""}, "7DC985B98166C7A092595BA23A981F50"},
	{"case-insensitive order", map[string]any{"Zebra": "last", "apple": "first"}, "9C90DE387B013B218B091D5BA0BB76B2"},
	{"case ties and prefixes", map[string]any{"a": "z", "A": "a", "a0": "prefix"}, "BA9AF3B13F07EC35495DCC96D8171C56"},
	{"false and space kept", map[string]any{"enabled": false, "memo": " "}, "15674BFD4022123071E0B1CD1A2A20BF"},
	{"UTF-8", map[string]any{"subject": "测试商品", "amount": json.Number("1")}, "F9F6BC7ED815F9B4D129B4C16D28E2C7"},
}

func TestSignOfficialVectors(t *testing.T) {
	for _, v := range officialVectors {
		t.Run(v.name, func(t *testing.T) {
			p := withCommon(v.params)
			if got := Sign(p, testSecret); got != v.want {
				t.Fatalf("Sign = %s, want %s", got, v.want)
			}
			if !Verify(p, testSecret, strings.ToLower(v.want)) {
				t.Fatal("Verify rejects the lower-cased official sign (Jeepay compares ignoring case)")
			}
			// Go native types sign the same as the decoded JSON numbers.
			native := map[string]any{}
			for k, x := range p {
				if n, ok := x.(json.Number); ok {
					i, _ := n.Int64()
					native[k] = i
					continue
				}
				native[k] = x
			}
			if got := Sign(native, testSecret); got != v.want {
				t.Fatalf("Sign(int64 values) = %s, want %s", got, v.want)
			}
		})
	}
}

func TestSignExcludesIncomingSign(t *testing.T) {
	p := withCommon(map[string]any{"amount": json.Number("1"), "sign": "ANYTHING"})
	if got := Sign(p, testSecret); got != "7DC985B98166C7A092595BA23A981F50" {
		t.Fatalf("sign field was signed: %s", got)
	}
}

func TestVerifyRejects(t *testing.T) {
	p := withCommon(map[string]any{"amount": json.Number("100")})
	good := Sign(p, testSecret)
	if Verify(p, testSecret, "") {
		t.Fatal("empty sign verified")
	}
	if Verify(p, providers.NewSecret("other"), good) {
		t.Fatal("wrong secret verified")
	}
	p["amount"] = json.Number("101")
	if Verify(p, testSecret, good) {
		t.Fatal("tampered amount verified")
	}
}

// The vectors are also checked in (testdata/md5_vectors.json, written by an
// independent Python implementation) so other tools can use them.
func TestSignCheckedInVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/md5_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Secret  string `json:"secret"`
		Vectors []struct {
			Params json.RawMessage `json:"params"`
			Sign   string          `json:"sign"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Vectors) != len(officialVectors) {
		t.Fatalf("%d vectors in testdata, want %d", len(file.Vectors), len(officialVectors))
	}
	for i, v := range file.Vectors {
		p, err := DecodeObject(v.Params)
		if err != nil {
			t.Fatal(err)
		}
		if got := Sign(p, providers.NewSecret(file.Secret)); got != v.Sign {
			t.Errorf("vector %d: %s, want %s", i, got, v.Sign)
		}
	}
}

// Where openssl is installed, hash the same signing strings with it.
func TestSignMatchesOpenSSL(t *testing.T) {
	for _, v := range officialVectors {
		text := signingString(withCommon(v.params), testSecret)
		out := providertest.OpenSSL(t, []byte(text), "dgst", "-md5")
		fields := strings.Fields(string(out))
		got := strings.ToUpper(fields[len(fields)-1])
		if got != v.want {
			t.Errorf("%s: openssl md5 %s, want %s", v.name, got, v.want)
		}
	}
}

func TestCompareFoldJava(t *testing.T) {
	cases := []struct {
		a, b string
		sign int
	}{
		{"apple=first&", "Zebra=last&", -1},
		{"A=a&", "a=z&", -1},
		{"a0=prefix&", "A=a&", -1}, // '0' < '='
		{"abc", "ABC", 0},
		{"ab", "abc", -1},
		{"Ä=1&", "ä=2&", -1},
	}
	for _, c := range cases {
		got := compareFoldJava(c.a, c.b)
		if (got < 0 && c.sign >= 0) || (got > 0 && c.sign <= 0) || (got == 0 && c.sign != 0) {
			t.Errorf("compare(%q, %q) = %d, want sign %d", c.a, c.b, got, c.sign)
		}
	}
}
