package tokens

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
)

// scannerPatterns are token patterns of well-known secret scanners
// (GitHub's own token formats, as GitHub secret scanning, gitleaks and
// trufflehog match them) that Gatehouse credentials must not match.
var scannerPatterns = map[string]*regexp.Regexp{
	"GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_)": regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9_]{36,}`),
	"GitHub fine-grained PAT":                      regexp.MustCompile(`\bgithub_pat_[A-Za-z0-9_]{22,}`),
	"GitLab tokens":                                regexp.MustCompile(`\bgl(pat|dt|ptt|rt|oas|cbt|ft|imt|soat)-`),
	"Slack tokens":                                 regexp.MustCompile(`\bxox[abposr]-`),
	"Stripe keys":                                  regexp.MustCompile(`\b[rsp]k_(live|test)_`),
	"npm and PyPI tokens":                          regexp.MustCompile(`\b(npm_[A-Za-z0-9]{36}|pypi-)`),
}

func newTestCodec(t *testing.T) *opaqueCodec {
	t.Helper()
	key, err := masterkey.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := masterkey.Parse(key)
	if err != nil {
		t.Fatal(err)
	}
	return newOpaqueCodec(k, rand.Reader)
}

func TestCredentialPrefixesMatchNoScannerPattern(t *testing.T) {
	o := newTestCodec(t)
	var samples []string
	for range 50 {
		tok, err := o.seal("sandbox", []byte(`{"sub":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		samples = append(samples, tok)
	}
	for _, env := range []string{"sandbox", "production", "admin", "clients"} {
		for _, production := range []bool{false, true} {
			id, _ := gatehouse.NewClientID(rand.Reader)
			secret, _ := gatehouse.NewSecret(rand.Reader)
			samples = append(samples, gatehouse.FormatAPIKeyFor(&gatehouse.Environment{Name: env, Production: production}, id, secret))
		}
	}
	for _, s := range samples {
		for name, re := range scannerPatterns {
			if re.MatchString(s) {
				t.Errorf("%s… matches the pattern of %s", s[:16], name)
			}
		}
		if strings.HasPrefix(s, OpaquePrefix) && gatehouse.LooksLikeAPIKey(s) {
			t.Errorf("opaque token %s… looks like an API key", s[:16])
		}
	}
}

func TestOpaqueTokensOfTheLegacyPrefixStillOpen(t *testing.T) {
	o := newTestCodec(t)
	tok, err := o.seal("sandbox", []byte(`{"sub":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, OpaquePrefix) || strings.HasPrefix(tok, LegacyOpaquePrefix) {
		t.Fatalf("new token %s… does not carry the current prefix", tok[:16])
	}
	// Seal one as an earlier version did: the legacy prefix, bound in the
	// associated data.
	kid := o.keyring.Current()
	aead, err := o.aead("sandbox", kid)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, opaqueHeader+aead.NonceSize())
	buf[0] = opaqueVersion
	copy(buf[1:opaqueHeader], kid[:])
	io.ReadFull(rand.Reader, buf[opaqueHeader:])
	sealed := aead.Seal(buf, buf[opaqueHeader:], []byte(`{"sub":"old"}`), opaqueAAD(LegacyOpaquePrefix, "sandbox", buf[:opaqueHeader]))
	legacy := LegacyOpaquePrefix + base64.RawURLEncoding.EncodeToString(sealed)
	if !IsOpaque(legacy) {
		t.Fatal("a legacy token is not recognised as opaque")
	}
	if got, err := o.open("sandbox", legacy); err != nil || string(got) != `{"sub":"old"}` {
		t.Fatalf("legacy token: %q, %v", got, err)
	}
	// A legacy token relabelled with the new prefix does not open: the
	// prefix is bound to the ciphertext.
	if _, err := o.open("sandbox", OpaquePrefix+strings.TrimPrefix(legacy, LegacyOpaquePrefix)); err == nil {
		t.Fatal("a relabelled token opened")
	}
}
