package gatehouse_test

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-dev/gatehouse"
)

// importedForms builds, for secret, each imported hash form as the other
// servers write it.
func importedForms(t *testing.T, secret string) map[string]string {
	t.Helper()
	salt := []byte("NaCl-salt-1234")
	key := func(h func() hash.Hash, n int) []byte {
		k, err := pbkdf2.Key(h, secret, salt, 1200, n)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	b, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	ab64 := func(b []byte) string {
		return strings.ReplaceAll(base64.RawStdEncoding.EncodeToString(b), "+", ".")
	}
	s256 := sha256.Sum256([]byte("pepper" + secret))
	s512 := sha512.Sum512([]byte(secret))
	return map[string]string{
		"bcrypt $2b$": string(b),
		"bcrypt $2y$": "$2y$" + string(b)[4:],
		"Ory PBKDF2": fmt.Sprintf("$pbkdf2-sha256$i=1200,l=32$%s$%s",
			base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key(sha256.New, 32))),
		"passlib PBKDF2-SHA512": fmt.Sprintf("$pbkdf2-sha512$1200$%s$%s", ab64(salt), ab64(key(sha512.New, 64))),
		"passlib PBKDF2-SHA1":   fmt.Sprintf("$pbkdf2$1200$%s$%s", ab64(salt), ab64(key(sha1.New, 20))),
		"Django PBKDF2": fmt.Sprintf("pbkdf2_sha256$1200$%s$%s", salt,
			base64.StdEncoding.EncodeToString(key(sha256.New, 32))),
		"salted SHA-256":   "sha256$pepper$" + hex.EncodeToString(s256[:]),
		"unsalted SHA-512": "sha512$" + hex.EncodeToString(s512[:]),
	}
}

func TestImportedHashesVerifyTheirSecretOnly(t *testing.T) {
	const secret = "old-server-secret-42"
	for name, encoded := range importedForms(t, secret) {
		t.Run(name, func(t *testing.T) {
			if _, err := gatehouse.ParseImportedHash(encoded); err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !gatehouse.VerifyImportedHash(encoded, secret) {
				t.Fatal("the right secret does not verify")
			}
			if gatehouse.VerifyImportedHash(encoded, secret+"x") || gatehouse.VerifyImportedHash(encoded, "") {
				t.Fatal("a wrong secret verifies")
			}
		})
	}
}

func TestMalformedImportedHashesAreRefused(t *testing.T) {
	for _, bad := range []string{
		"", "md5$abc", "$2b$04$short", "sha256$zz", "sha256$" + strings.Repeat("a", 63),
		"$pbkdf2-md5$i=10,l=32$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", "$pbkdf2-sha256$0$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
		"$pbkdf2-sha256$99999999999$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", "pbkdf2_sha256$1000$salt$!!!",
	} {
		if _, err := gatehouse.ParseImportedHash(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		} else if gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Errorf("%q: error %v is not invalid", bad, err)
		}
		if gatehouse.VerifyImportedHash(bad, "") {
			t.Errorf("%q verifies", bad)
		}
	}
}

func TestSecretMemoRemembersOnlyVerifiedSecrets(t *testing.T) {
	const secret = "old-server-secret-42"
	b, _ := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
	c := &gatehouse.Client{ID: "legacy", Secrets: []gatehouse.Secret{{ID: 7, Imported: string(b)}}}
	memo, err := gatehouse.NewSecretMemo(bytes.NewReader(make([]byte, 32)), 2)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	if m := c.Match("wrong", now, memo); m.OK || memo.Len() != 0 {
		t.Fatalf("a wrong secret matched (%+v) or was remembered (%d)", m, memo.Len())
	}
	m := c.Match(secret, now, memo)
	if !m.OK || m.ID != 7 || m.Imported != string(b) || memo.Len() != 1 {
		t.Fatalf("match = %+v, memo holds %d", m, memo.Len())
	}
	// A remembered secret matches without its hash: swap in a hash of
	// another secret under the same form and the memo is not consulted,
	// because the memo is keyed by the imported hash too.
	other, _ := bcrypt.GenerateFromPassword([]byte("another"), bcrypt.MinCost)
	c.Secrets[0].Imported = string(other)
	if c.Match(secret, now, memo).OK {
		t.Fatal("the memo matched a secret against a changed hash")
	}
	c.Secrets[0].Imported = string(b)
	if !c.Match(secret, now, memo).OK || c.Match("wrong", now, memo).OK {
		t.Fatal("the memo changed the outcome")
	}
	c.Secrets[0].ExpiresAt = now
	if c.Match(secret, now, memo).OK {
		t.Fatal("an expired imported secret matched")
	}
	if _, err := gatehouse.NewSecretMemo(bytes.NewReader(nil), 0); err == nil {
		t.Fatal("a memo without randomness for its key was made")
	}
}

func TestStrongSecret(t *testing.T) {
	for s, want := range map[string]bool{
		"password1": false, "old-server-secret-42": false,
		"da012c0f-b1a7-4f86-8279-3cd69b9185e2":     true, // UUID-shaped, 32 hex digits
		"Kq7Vw2mZ9xLp4TtR8yBn3HcJ6sFd1GgE5aUoWiYk": true,
		strings.Repeat("a", 27):                    false,
		"0123456789012345678901234567890123456789": true,
	} {
		if got := gatehouse.StrongSecret(s); got != want {
			t.Errorf("StrongSecret(%q) = %v, want %v", s, got, want)
		}
	}
}

// countingGate admits the first n slow hashes and counts what it is asked.
type countingGate struct {
	n     int
	asked []string
}

func (g *countingGate) AllowSlowHash(clientID string) bool {
	g.asked = append(g.asked, clientID)
	return len(g.asked) <= g.n
}

func TestSlowHashGateBoundsSlowHashesOnly(t *testing.T) {
	const secret = "old-server-secret-42"
	forms := importedForms(t, secret)
	for name, h := range forms {
		slow := strings.Contains(name, "bcrypt") || strings.Contains(name, "PBKDF2")
		if gatehouse.ImportedHashSlow(h) != slow {
			t.Errorf("ImportedHashSlow(%s) = %v", name, !slow)
		}
	}

	c := &gatehouse.Client{ID: "legacy", Secrets: []gatehouse.Secret{{ID: 7, Imported: forms["bcrypt $2b$"]}}}
	memo, err := gatehouse.NewSecretMemo(bytes.NewReader(make([]byte, 32)), 0)
	if err != nil {
		t.Fatal(err)
	}
	gate := &countingGate{n: 2}
	memo.SetSlowHashGate(gate)
	now := time.Unix(1_700_000_000, 0)
	if c.Match("wrong", now, memo).OK || !c.Match(secret, now, memo).OK {
		t.Fatal("within the budget the outcome changed")
	}
	// Remembered: no slow hash, the gate is not asked.
	if !c.Match(secret, now, memo).OK || len(gate.asked) != 2 {
		t.Fatalf("a remembered secret asked the gate (%d asks)", len(gate.asked))
	}
	// Past the budget a wrong secret is refused unchecked, and so is the
	// right one the memo does not know (here: under a new hash).
	if c.Match("wrong-again", now, memo).OK || len(gate.asked) != 3 {
		t.Fatal("past the budget a wrong secret matched, or the gate was not asked")
	}
	b, _ := bcrypt.GenerateFromPassword([]byte("another-secret-here"), bcrypt.MinCost)
	c.Secrets[0].Imported = string(b)
	if c.Match("another-secret-here", now, memo).OK {
		t.Fatal("past the budget a slow hash was computed")
	}
	// A fast imported form never asks.
	c.Secrets[0].Imported = forms["salted SHA-256"]
	asked := len(gate.asked)
	if !c.Match(secret, now, memo).OK || len(gate.asked) != asked {
		t.Fatal("a salted SHA-256 secret was gated")
	}
}
