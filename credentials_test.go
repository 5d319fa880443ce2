package gatehouse_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func TestRandomStringIsBase62OfTheRequestedLength(t *testing.T) {
	s, err := gatehouse.RandomString(rand.Reader, 43)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 43 || strings.Trim(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
		t.Fatalf("RandomString = %q", s)
	}
}

func TestRandomStringFailsWhenRandomnessRunsOut(t *testing.T) {
	if _, err := gatehouse.RandomString(bytes.NewReader(make([]byte, 3)), 20); err == nil {
		t.Fatal("want an error from a short reader")
	}
}

func TestAPIKeyRoundTrip(t *testing.T) {
	for _, env := range []string{"sandbox", "production", "admin", "test-clients"} {
		t.Run(env, func(t *testing.T) {
			id, _ := gatehouse.NewClientID(rand.Reader)
			secret, _ := gatehouse.NewSecret(rand.Reader)
			key := gatehouse.FormatAPIKey(env, id, secret)
			if !strings.HasPrefix(key, gatehouse.APIKeyPrefix(env)) {
				t.Fatalf("key %q lacks prefix %q", key, gatehouse.APIKeyPrefix(env))
			}
			gotID, gotSecret, err := gatehouse.ParseAPIKey(key)
			if err != nil || gotID != id || gotSecret != secret {
				t.Fatalf("ParseAPIKey = %q, %q, %v", gotID, gotSecret, err)
			}
		})
	}
}

func TestParseAPIKeyRejectsDamagedKeys(t *testing.T) {
	id, _ := gatehouse.NewClientID(rand.Reader)
	secret, _ := gatehouse.NewSecret(rand.Reader)
	key := gatehouse.FormatAPIKey("sandbox", id, secret)
	flip := func(i int) string {
		b := []byte(key)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for name, k := range map[string]string{
		"a mistyped character in the secret": flip(40),
		"a mistyped character in the id":     flip(10),
		"a mistyped checksum":                flip(len(key) - 1),
		"a truncated key":                    key[:len(key)-1],
		"a key with a space":                 key[:20] + " " + key[21:],
		"an empty key":                       "",
		"a bearer-like string":               "eyJhbGciOiJFUzI1NiJ9.e30.sig",
	} {
		t.Run("rejects "+name, func(t *testing.T) {
			_, _, err := gatehouse.ParseAPIKey(k)
			if !errors.Is(err, &gatehouse.Error{Code: gatehouse.EINVALID}) {
				t.Fatalf("ParseAPIKey(%q) err = %v, want invalid", k, err)
			}
		})
	}
}

func FuzzParseAPIKey(f *testing.F) {
	f.Add(gatehouse.FormatAPIKey("sandbox", "abcdefghijklmnopqrst", strings.Repeat("x", gatehouse.SecretLength)))
	f.Add("gh_sbx_")
	f.Add("")
	f.Fuzz(func(t *testing.T, key string) {
		id, secret, err := gatehouse.ParseAPIKey(key)
		if err != nil {
			return
		}
		if len(id) != gatehouse.ClientIDLength || len(secret) != gatehouse.SecretLength {
			t.Fatalf("accepted %q with id %q secret %q", key, id, secret)
		}
		if again := gatehouse.FormatAPIKey("sandbox", id, secret); again[7:] != key[7:] {
			t.Fatalf("accepted %q that does not re-encode (%q)", key, again)
		}
	})
}

func TestVerifySecret(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &gatehouse.Client{Secrets: []gatehouse.Secret{
		{Hash: gatehouse.HashSecret("new")},
		{Hash: gatehouse.HashSecret("old"), ExpiresAt: now.Add(time.Hour)},
	}}
	for _, tc := range []struct {
		name   string
		client *gatehouse.Client
		secret string
		at     time.Time
		want   bool
	}{
		{"the current secret works", c, "new", now, true},
		{"an old secret works during its grace period", c, "old", now, true},
		{"an old secret fails once its grace period ends", c, "old", now.Add(time.Hour), false},
		{"a wrong secret fails", c, "nope", now, false},
		{"an empty secret fails", c, "", now, false},
		{"an unknown client fails", nil, "new", now, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.client.VerifySecret(tc.secret, tc.at); got != tc.want {
				t.Fatalf("VerifySecret = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestErrorsCarryCodesThroughWrapping(t *testing.T) {
	err := errors.Join(errors.New("context"), gatehouse.Errorf(gatehouse.ENOTFOUND, "client %s not found", "x"))
	if !errors.Is(err, gatehouse.ErrNotFound) || errors.Is(err, gatehouse.ErrConflict) {
		t.Fatalf("errors.Is mismatch for %v", err)
	}
	if gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND || gatehouse.ErrorMessage(err) != "client x not found" {
		t.Fatalf("code %q message %q", gatehouse.ErrorCode(err), gatehouse.ErrorMessage(err))
	}
	if gatehouse.ErrorCode(errors.New("boom")) != gatehouse.EINTERNAL || gatehouse.ErrorMessage(errors.New("secret detail")) != "internal error" {
		t.Fatal("a plain error must read as internal without its text")
	}
}

func TestMatchSecretNamesTheSecretThatMatched(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &gatehouse.Client{Secrets: []gatehouse.Secret{
		{ID: 7, Hash: gatehouse.HashSecret("new")},
		{ID: 3, Hash: gatehouse.HashSecret("old"), ExpiresAt: now.Add(time.Hour)},
	}}
	if id, ok := c.MatchSecret("old", now); !ok || id != 3 {
		t.Fatalf("MatchSecret(old) = %d, %v; want 3, true", id, ok)
	}
	if id, ok := c.MatchSecret("new", now); !ok || id != 7 {
		t.Fatalf("MatchSecret(new) = %d, %v; want 7, true", id, ok)
	}
	if _, ok := c.MatchSecret("old", now.Add(time.Hour)); ok {
		t.Fatal("an expired secret matched")
	}
}
