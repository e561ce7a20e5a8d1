package providers

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
)

// ParsePrivateKey reads an RSA private key as PEM ("PRIVATE KEY" PKCS#8 or
// "RSA PRIVATE KEY" PKCS#1) or as bare base64 DER of either form, which is how the
// providers' consoles hand keys out (PayerMax: base64 PKCS#8, no armour).
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	return parseRSAKey[*rsa.PrivateKey](data, "private key", "PKCS#8 nor PKCS#1 RSA",
		x509.ParsePKCS8PrivateKey,
		func(der []byte) (any, error) { return x509.ParsePKCS1PrivateKey(der) })
}

// ParsePublicKey reads an RSA public key as PEM or bare base64 DER, in X.509
// SubjectPublicKeyInfo ("PUBLIC KEY") or PKCS#1 ("RSA PUBLIC KEY") form.
//
// Keys under 1024 bits are parsed by hand: Go 1.24+ refuses them in crypto/x509
// unless GODEBUG=rsa1024min=0 is set for the whole process, and Ksher's provider key
// is 512-bit. Parsing the numbers is harmless; only VerifyPKCS1v15 uses them.
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	return parseRSAKey[*rsa.PublicKey](data, "public key", "X.509 SubjectPublicKeyInfo nor PKCS#1 RSA",
		x509.ParsePKIXPublicKey,
		func(der []byte) (any, error) { return x509.ParsePKCS1PublicKey(der) },
		func(der []byte) (any, error) { return parseSmallRSAPublicKey(der) })
}

// parseRSAKey decodes data (keyDER) and returns the key of the first parser that
// reads it. A parser that reads a key of another algorithm (an EC key in PKCS#8 or
// SPKI) ends the search: the file is readable, just not RSA.
func parseRSAKey[K any](data []byte, what, forms string, parsers ...func([]byte) (any, error)) (K, error) {
	var zero K
	der, err := keyDER(data)
	if err != nil {
		return zero, err
	}
	for _, parse := range parsers {
		k, err := parse(der)
		if err != nil {
			continue
		}
		rk, ok := k.(K)
		if !ok {
			return zero, fmt.Errorf("%s is %T, want RSA", what, k)
		}
		return rk, nil
	}
	return zero, fmt.Errorf("%s is neither %s", what, forms)
}

// Key floors, checked when the configuration is loaded.
const (
	// MinMerchantKeyBits: a merchant private key signs every request; under 2048 bits
	// it is refused (NIST SP 800-131A: RSA under 2048 bits is disallowed for signing).
	MinMerchantKeyBits = 2048
	// MinProviderKeyBits: a provider public key verifies every answer; under 1024
	// bits it is refused, except where a provider is known to issue such keys
	// (LoadPublicKeyMin: Ksher's 512-bit key).
	MinProviderKeyBits = 1024
)

// LoadPrivateKey reads the RSA private key ref names (see SecretRef.Load; baseDir
// resolves a relative file) and parses it with ParsePrivateKey. A key under
// MinMerchantKeyBits is refused. Errors are FieldErrors on field; they name the file
// or variable but never the key.
func LoadPrivateKey(ref SecretRef, baseDir, field string) (*rsa.PrivateKey, error) {
	return loadKey(ref, baseDir, field, ParsePrivateKey, func(k *rsa.PrivateKey) int { return k.N.BitLen() },
		MinMerchantKeyBits, "merchant private keys must have at least %d bits (make a new key pair and register its public key with the provider)")
}

// LoadPublicKey reads the RSA public key ref names and parses it with
// ParsePublicKey. A key under MinProviderKeyBits is refused. Errors are FieldErrors
// on field, as for LoadPrivateKey.
func LoadPublicKey(ref SecretRef, baseDir, field string) (*rsa.PublicKey, error) {
	return LoadPublicKeyMin(ref, baseDir, field, MinProviderKeyBits)
}

// LoadPublicKeyMin is LoadPublicKey with another floor, for a provider known to
// issue smaller keys (Ksher: 512 bits). Verification with such a key goes through
// VerifyPKCS1v15's scoped small-key check; nothing else in the process is weakened.
func LoadPublicKeyMin(ref SecretRef, baseDir, field string, minBits int) (*rsa.PublicKey, error) {
	return loadKey(ref, baseDir, field, ParsePublicKey, func(k *rsa.PublicKey) int { return k.N.BitLen() },
		minBits, "this provider's public key must have at least %d bits (is it the right file?)")
}

// loadKey reads the key ref names, parses it and refuses it under minBits, saying
// why with floor (a format with one %d, the floor).
func loadKey[K any](ref SecretRef, baseDir, field string, parse func([]byte) (K, error), bitLen func(K) int, minBits int, floor string) (K, error) {
	var zero K
	text, err := ref.Load(baseDir)
	if err != nil {
		return zero, FieldErr(field, "%v", err)
	}
	key, err := parse([]byte(text.Reveal()))
	if err != nil {
		return zero, FieldErr(field, "%s: %v", ref.describe(baseDir), err)
	}
	if bits := bitLen(key); bits < minBits {
		return zero, FieldErr(field, "%s holds a %d-bit RSA key: "+floor, ref.describe(baseDir), bits, minBits)
	}
	return key, nil
}

func keyDER(data []byte) ([]byte, error) {
	text := strings.TrimSpace(string(data))
	if text == "" {
		return nil, errors.New("key is empty")
	}
	if strings.HasPrefix(text, "-----BEGIN") {
		block, _ := pem.Decode([]byte(text))
		if block == nil {
			return nil, errors.New("key has a PEM header but no readable PEM block")
		}
		return block.Bytes, nil
	}
	clean := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, text)
	der, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return nil, fmt.Errorf("key is neither PEM nor base64 DER: %v", err)
	}
	return der, nil
}

// SignPKCS1v15 signs data with RSASSA-PKCS1-v1_5 over the given hash.
func SignPKCS1v15(key *rsa.PrivateKey, hash crypto.Hash, data []byte) ([]byte, error) {
	h := hash.New()
	h.Write(data)
	return rsa.SignPKCS1v15(rand.Reader, key, hash, h.Sum(nil))
}

// VerifyPKCS1v15 verifies an RSASSA-PKCS1-v1_5 signature over data.
//
// For keys of 1024 bits and more it is crypto/rsa. For smaller keys (Ksher's 512-bit
// provider key) it does the textbook check by hand — s^e mod n compared with the
// EMSA-PKCS1-v1_5 encoding — because crypto/rsa refuses such keys unless the whole
// process lowers its limit with GODEBUG=rsa1024min=0, which would also let a weak
// merchant key through everywhere else. The exception is scoped to verification
// (a public operation: no secret to leak through timing).
func VerifyPKCS1v15(key *rsa.PublicKey, hash crypto.Hash, data, sig []byte) error {
	h := hash.New()
	h.Write(data)
	digest := h.Sum(nil)
	if key.N.BitLen() >= 1024 {
		return rsa.VerifyPKCS1v15(key, hash, digest, sig)
	}
	return verifySmallKey(key, hash, digest, sig)
}

// DigestInfo prefixes from RFC 8017 §9.2 note 1.
var digestInfoPrefix = map[crypto.Hash][]byte{
	crypto.MD5:    {0x30, 0x20, 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05, 0x05, 0x00, 0x04, 0x10},
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
}

var errVerification = errors.New("crypto/rsa: verification error")

func verifySmallKey(key *rsa.PublicKey, hash crypto.Hash, digest, sig []byte) error {
	prefix, ok := digestInfoPrefix[hash]
	if !ok {
		return fmt.Errorf("unsupported hash %v for a small RSA key", hash)
	}
	if key.E < 3 || key.N.Sign() <= 0 {
		return errVerification
	}
	k := (key.N.BitLen() + 7) / 8
	if len(sig) != k {
		return errVerification
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(key.N) >= 0 {
		return errVerification
	}
	m := new(big.Int).Exp(s, big.NewInt(int64(key.E)), key.N)
	em := m.FillBytes(make([]byte, k))
	tLen := len(prefix) + len(digest)
	if k < tLen+11 {
		return errVerification
	}
	// EM = 0x00 || 0x01 || PS (0xff…, at least 8) || 0x00 || T
	want := make([]byte, k)
	want[1] = 0x01
	for i := 2; i < k-tLen-1; i++ {
		want[i] = 0xff
	}
	copy(want[k-tLen:], prefix)
	copy(want[k-len(digest):], digest)
	if subtleEqual(em, want) {
		return nil
	}
	return errVerification
}

func subtleEqual(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := range a {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

// parseSmallRSAPublicKey reads SPKI or PKCS#1 DER without crypto/x509's size floor.
func parseSmallRSAPublicKey(der []byte) (*rsa.PublicKey, error) {
	var spki struct {
		Algorithm struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue `asn1:"optional"`
		}
		PublicKey asn1.BitString
	}
	inner := der
	if rest, err := asn1.Unmarshal(der, &spki); err == nil && len(rest) == 0 && spki.Algorithm.Algorithm.Equal(oidRSAEncryption) {
		inner = spki.PublicKey.RightAlign()
	}
	var pk struct {
		N *big.Int
		E int
	}
	rest, err := asn1.Unmarshal(inner, &pk)
	if err != nil || len(rest) != 0 || pk.N == nil || pk.N.Sign() <= 0 || pk.E < 3 {
		return nil, errors.New("not an RSA public key")
	}
	return &rsa.PublicKey{N: pk.N, E: pk.E}, nil
}

var oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}

// GenerateKeyPEM makes a fresh RSA key pair for tests and --dev, as PKCS#8 private
// and SPKI public PEM.
func GenerateKeyPEM(bits int) (privatePEM, publicPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, nil, err
	}
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	pub, err := PublicKeyPEM(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), pub, nil
}

// LoadKeyPair loads an adapter's two keys: the merchant's private key that signs
// requests and the provider's public key that verifies answers (each named by its
// configuration field in errors).
func LoadKeyPair(baseDir string, private SecretRef, privateField string, public SecretRef, publicField string) (*rsa.PrivateKey, *rsa.PublicKey, error) {
	key, err := LoadPrivateKey(private, baseDir, privateField)
	if err != nil {
		return nil, nil, err
	}
	pub, err := LoadPublicKey(public, baseDir, publicField)
	if err != nil {
		return nil, nil, err
	}
	return key, pub, nil
}

// LoadPrivateKeyFile reads and parses the RSA private key in path (no SecretRef:
// for development files whose paths the caller made). Errors name the file.
func LoadPrivateKeyFile(path string) (*rsa.PrivateKey, error) {
	return loadKeyFile(path, ParsePrivateKey)
}

// LoadPublicKeyFile reads and parses the RSA public key in path. Errors name the file.
func LoadPublicKeyFile(path string) (*rsa.PublicKey, error) {
	return loadKeyFile(path, ParsePublicKey)
}

func loadKeyFile[K any](path string, parse func([]byte) (K, error)) (K, error) {
	var zero K
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, err
	}
	k, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s: %v", path, err)
	}
	return k, nil
}

// PublicKeyPEM encodes pub as SPKI ("PUBLIC KEY") PEM.
func PublicKeyPEM(pub *rsa.PublicKey) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}), nil
}
