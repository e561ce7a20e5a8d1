package gnete

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/paycancel/paycancel/providers"
)

// SignType is the only signature type GNETE accepts (the Unified Cancel page: "Currently, only MD5 is supported").
const SignType = "MD5"

// Sign computes GNETE's request/response/notification signature (the provider's API pages,
// Jeepay's JeepayKit.getSign) [C]:
//
//  1. every parameter except "sign";
//  2. drop nil and empty-string values (keep 0, false and " ");
//  3. "key=value&" pieces, numbers in decimal, booleans true/false;
//  4. sort the pieces case-insensitively — Java's String.CASE_INSENSITIVE_ORDER,
//     which compares UTF-16 units after upper- then lower-casing each;
//  5. concatenate, append "key=<appSecret>", MD5 over UTF-8, uppercase hex.
//
// Pieces that compare equal ignoring case (e.g. "A=a&" and "a=A&") are left in
// HashMap order by Java, which is unspecified; we break the tie by ordinal order so
// the result is at least deterministic.
func Sign(params map[string]any, secret providers.Secret) string {
	sum := md5.Sum([]byte(signingString(params, secret)))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Verify reports whether sign (compared case-insensitively, as Jeepay does with
// equalsIgnoreCase) is the signature of params. A missing sign never verifies.
func Verify(params map[string]any, secret providers.Secret, sign string) bool {
	if sign == "" {
		return false
	}
	want := Sign(params, secret)
	return subtle.ConstantTimeCompare([]byte(strings.ToUpper(sign)), []byte(want)) == 1
}

// signingString is the text that is hashed. It contains the secret: never log it.
func signingString(params map[string]any, secret providers.Secret) string {
	pieces := make([]string, 0, len(params))
	for k, v := range params {
		if k == "sign" {
			continue
		}
		s, ok := FormatValue(v)
		if !ok {
			continue
		}
		pieces = append(pieces, k+"="+s+"&")
	}
	slices.SortFunc(pieces, func(a, b string) int {
		if c := compareFoldJava(a, b); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	var sb strings.Builder
	for _, p := range pieces {
		sb.WriteString(p)
	}
	sb.WriteString("key=")
	sb.WriteString(secret.Reveal())
	return sb.String()
}

// FormatValue renders one value as Java's String.valueOf would for the types a
// Jeepay JSON object holds. ok is false for values that are left out (null, "").
func FormatValue(v any) (s string, ok bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, x != ""
	case json.Number:
		// The exact digits that were on the wire (decoded with UseNumber).
		return x.String(), x != ""
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		// Not used on GNETE's wire (amounts are cents, times epoch ms); plain decimal.
		return strconv.FormatFloat(x, 'f', -1, 64), true
	default:
		// A nested object or array: compact JSON, as fastjson's toString would give
		// (key order of nested objects is unspecified on the Java side).
		b, err := json.Marshal(x)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
}

// compareFoldJava is java.lang.String.CASE_INSENSITIVE_ORDER: UTF-16 code units
// compared one by one; unequal units are compared again upper-cased, then lower-cased.
func compareFoldJava(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	n := min(len(ua), len(ub))
	for i := 0; i < n; i++ {
		c1, c2 := ua[i], ub[i]
		if c1 == c2 {
			continue
		}
		c1, c2 = mapUnit(c1, unicode.ToUpper), mapUnit(c2, unicode.ToUpper)
		if c1 == c2 {
			continue
		}
		c1, c2 = mapUnit(c1, unicode.ToLower), mapUnit(c2, unicode.ToLower)
		if c1 != c2 {
			return int(c1) - int(c2)
		}
	}
	return len(ua) - len(ub)
}

// mapUnit case-maps one UTF-16 unit like Java's Character.toUpperCase(char):
// surrogates and mappings that leave the BMP stay as they are.
func mapUnit(c uint16, f func(rune) rune) uint16 {
	if utf16.IsSurrogate(rune(c)) {
		return c
	}
	r := f(rune(c))
	if r > 0xFFFF || utf16.IsSurrogate(r) {
		return c
	}
	return uint16(r)
}
