package adminapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
	"github.com/gatehouse-dev/gatehouse/internal/password"
)

// withMasterKey rebuilds the fixture's handler with a master key.
func (f *fixture) withMasterKey(t *testing.T) *masterkey.Keyring {
	t.Helper()
	key := make([]byte, masterkey.Size)
	rand.Read(key)
	k, err := masterkey.New(key)
	if err != nil {
		t.Fatal(err)
	}
	f.handler = New(Config{
		Store:        f.store,
		Authenticate: authenticate,
		Refresh: func(ctx context.Context) error {
			f.refreshes.Add(1)
			return f.refreshErr
		},
		IssuerURL: func(env string) string { return "https://auth.example.com/realms/" + env },
		Rand:      mathrand.NewChaCha8([32]byte{4, 5, 6}),
		Now:       f.clock,
		Logger:    slog.New(slog.NewJSONHandler(&f.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MasterKey: k,
	})
	return k
}

func (f *fixture) environment(t *testing.T, name string) *gatehouse.Environment {
	t.Helper()
	e, err := f.store.Environment(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestUpdateEnvironment(t *testing.T) {
	f := newFixture(t)
	f.withMasterKey(t)
	path := "/admin/v1/environments/sandbox"

	t.Run("a patch changes the fields it names and nothing else, at once", func(t *testing.T) {
		before := f.refreshes.Load()
		f.advance(time.Minute)
		var e wire.Environment
		decode(t, f.must(t, http.StatusOK, "PATCH", path, writeToken,
			`{"token_settings":{"format":"opaque","lifetime_seconds":7776000,"reuse":true,"default_audience":"https://api.example.com"},"allow_reveal":true}`), &e)
		want := wire.TokenSettings{Format: "opaque", LifetimeSeconds: 7776000, Reuse: true, DefaultAudience: "https://api.example.com"}
		if e.TokenSettings != want || !e.AllowReveal || !e.UpdatedAt.Equal(startTime.Add(time.Minute)) {
			t.Fatalf("answer %+v", e)
		}
		stored := f.environment(t, "sandbox")
		if stored.Tokens.Lifetime != 90*24*time.Hour || !stored.Tokens.Reuse || !stored.AllowReveal || stored.SigningAlgorithm != gatehouse.AlgES256 {
			t.Fatalf("stored %+v", stored)
		}
		if n := f.refreshes.Load() - before; n != 1 {
			t.Errorf("%d cache refreshes, want 1", n)
		}
		decode(t, f.must(t, http.StatusOK, "PATCH", path, writeToken, `{"token_settings":{"reuse":false}}`), &e)
		want.Reuse = false
		if e.TokenSettings != want || !e.AllowReveal {
			t.Fatalf("after a one-field patch %+v", e)
		}
		decode(t, f.must(t, http.StatusOK, "PATCH", path, writeToken, `{"token_settings":{"default_audience":null}}`), &e)
		if e.TokenSettings.DefaultAudience != "" {
			t.Fatalf("a null default audience left %q", e.TokenSettings.DefaultAudience)
		}
	})

	before := f.refreshes.Load()
	for _, tt := range []struct {
		name, path, token, body string
		status                  int
		code                    string
	}{
		{"a lifetime of 0 is invalid", path, writeToken, `{"token_settings":{"lifetime_seconds":0}}`, 400, gatehouse.EINVALID},
		{"a lifetime over 90 days is invalid", path, writeToken, `{"token_settings":{"lifetime_seconds":7776001}}`, 400, gatehouse.EINVALID},
		{"an unknown format is invalid", path, writeToken, `{"token_settings":{"format":"paseto"}}`, 400, gatehouse.EINVALID},
		{"a null format is invalid", path, writeToken, `{"token_settings":{"format":null}}`, 400, gatehouse.EINVALID},
		{"a null allow_reveal is invalid", path, writeToken, `{"allow_reveal":null}`, 400, gatehouse.EINVALID},
		{"a string lifetime is invalid", path, writeToken, `{"token_settings":{"lifetime_seconds":"1h"}}`, 400, gatehouse.EINVALID},
		{"an audience with a space is invalid", path, writeToken, `{"token_settings":{"default_audience":"a b"}}`, 400, gatehouse.EINVALID},
		{"an unknown field is invalid", path, writeToken, `{"signing_alg":"EdDSA"}`, 400, gatehouse.EINVALID},
		{"an unknown signing algorithm is invalid", path, writeToken, `{"signing_algorithm":"HS256"}`, 400, gatehouse.EINVALID},
		{"a null production is invalid", path, writeToken, `{"production":null}`, 400, gatehouse.EINVALID},
		{"an empty body is invalid", path, writeToken, ``, 400, gatehouse.EINVALID},
		{"an unknown environment is not found", "/admin/v1/environments/nope", writeToken, `{"allow_reveal":true}`, 404, gatehouse.ENOTFOUND},
		{"a read-only caller is forbidden", path, readToken, `{"allow_reveal":true}`, 403, gatehouse.EFORBIDDEN},
		{"an anonymous caller is unauthorized", path, "", `{"allow_reveal":true}`, 401, gatehouse.EUNAUTHORIZED},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, f.do(t, "PATCH", tt.path, tt.token, tt.body), tt.status, tt.code)
		})
	}
	if n := f.refreshes.Load() - before; n != 0 {
		t.Errorf("refused patches refreshed the cache %d times", n)
	}

	t.Run("opaque tokens without a master key are a conflict", func(t *testing.T) {
		f := newFixture(t)
		checkError(t, f.do(t, "PATCH", path, writeToken, `{"token_settings":{"format":"opaque"}}`), 409, gatehouse.ECONFLICT)
		if f.environment(t, "sandbox").Tokens.Format != gatehouse.TokenFormatJWT {
			t.Fatal("the refused patch changed the format")
		}
	})
}

func TestCreateEnvironment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	t.Run("creating an environment stores it with one active key of its algorithm", func(t *testing.T) {
		before := f.refreshes.Load()
		rec := f.must(t, http.StatusCreated, "POST", "/admin/v1/environments", writeToken,
			`{"name":"test-clients","signing_algorithm":"EdDSA","token_settings":{"lifetime_seconds":3600},"allow_reveal":true}`)
		var e wire.Environment
		decode(t, rec, &e)
		if e.Name != "test-clients" || e.SigningAlgorithm != gatehouse.AlgEdDSA || e.TokenSettings.LifetimeSeconds != 3600 ||
			e.TokenSettings.Format != gatehouse.TokenFormatJWT || !e.AllowReveal || e.Issuer != "https://auth.example.com/realms/test-clients" {
			t.Fatalf("answer %+v", e)
		}
		if loc := rec.Header().Get("Location"); loc != "/admin/v1/environments/test-clients" {
			t.Errorf("Location %q", loc)
		}
		keys, err := f.store.SigningKeys(ctx, "test-clients")
		if err != nil || len(keys) != 1 || keys[0].State != gatehouse.KeyActive || keys[0].Algorithm != gatehouse.AlgEdDSA {
			t.Fatalf("signing keys %+v, %v", keys, err)
		}
		if n := f.refreshes.Load() - before; n != 1 {
			t.Errorf("%d cache refreshes, want 1", n)
		}
	})
	t.Run("the signing algorithm defaults to ES256", func(t *testing.T) {
		var e wire.Environment
		decode(t, f.must(t, http.StatusCreated, "POST", "/admin/v1/environments", writeToken, `{"name":"clients"}`), &e)
		if e.SigningAlgorithm != gatehouse.AlgES256 || e.TokenSettings.LifetimeSeconds != 300 {
			t.Fatalf("answer %+v", e)
		}
	})
	for _, tt := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"an existing name is a conflict", `{"name":"test-clients"}`, 409, gatehouse.ECONFLICT},
		{"a name with capitals is invalid", `{"name":"Test"}`, 400, gatehouse.EINVALID},
		{"a missing name is invalid", `{}`, 400, gatehouse.EINVALID},
		{"an HMAC algorithm is invalid", `{"name":"x","signing_algorithm":"HS256"}`, 400, gatehouse.EINVALID},
		{"a bad lifetime is invalid", `{"name":"y","token_settings":{"lifetime_seconds":-5}}`, 400, gatehouse.EINVALID},
		{"opaque tokens without a master key are a conflict", `{"name":"z","token_settings":{"format":"opaque"}}`, 409, gatehouse.ECONFLICT},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, f.do(t, "POST", "/admin/v1/environments", writeToken, tt.body), tt.status, tt.code)
		})
	}
	list, _ := f.store.Environments(ctx)
	if len(list) != 4 {
		t.Errorf("%d environments after the refused creations, want 4", len(list))
	}
	t.Run("an environment an interrupted creation left without a key is completed", func(t *testing.T) {
		// The fixture's environments have no keys, as if creation had
		// stopped between the environment and its key.
		f.must(t, http.StatusCreated, "POST", "/admin/v1/environments", writeToken, `{"name":"sandbox"}`)
		keys, _ := f.store.SigningKeys(ctx, "sandbox")
		if len(keys) != 1 || keys[0].State != gatehouse.KeyActive {
			t.Fatalf("keys %+v", keys)
		}
		checkError(t, f.do(t, "POST", "/admin/v1/environments", writeToken, `{"name":"sandbox"}`), 409, gatehouse.ECONFLICT)
	})
}

func TestUpdateClient(t *testing.T) {
	f := newFixture(t)
	f.withMasterKey(t)
	c := f.createClient(t, `{"environment":"sandbox","name":"acme","scopes":["ledger:read"]}`)
	path := "/admin/v1/clients/" + c.ClientID

	t.Run("a patch changes the fields it names and keeps the secret", func(t *testing.T) {
		before := f.refreshes.Load()
		f.advance(time.Minute)
		var got wire.Client
		decode(t, f.must(t, http.StatusOK, "PATCH", path, writeToken, `{"name":"acme two","scopes":["ledger:read","ledger:write"],
			"audiences":["https://api.example.com"],"allowed_cidrs":["203.0.113.9/24"],
			"token_overrides":{"format":"opaque","lifetime_seconds":7776000,"reuse":true,"default_audience":"https://api.example.com"}}`), &got)
		if got.Name != "acme two" || strings.Join(got.Scopes, " ") != "ledger:read ledger:write" ||
			strings.Join(got.AllowedCIDRs, " ") != "203.0.113.0/24" || !got.UpdatedAt.Equal(startTime.Add(time.Minute)) {
			t.Fatalf("answer %+v", got)
		}
		o := got.TokenOverrides
		if o.Format == nil || *o.Format != "opaque" || o.LifetimeSeconds == nil || *o.LifetimeSeconds != 7776000 ||
			o.Reuse == nil || !*o.Reuse || o.DefaultAudience == nil || *o.DefaultAudience != "https://api.example.com" {
			t.Fatalf("overrides %+v", o)
		}
		stored := f.storedClient(t, c.ClientID)
		if !stored.VerifySecret(c.ClientSecret, f.clock()) || stored.Tokens.Reuse == nil || !*stored.Tokens.Reuse {
			t.Fatalf("stored %+v", stored)
		}
		if n := f.refreshes.Load() - before; n != 1 {
			t.Errorf("%d cache refreshes, want 1", n)
		}
	})
	t.Run("a null override goes back to the environment's value and leaves the others", func(t *testing.T) {
		var got wire.Client
		decode(t, f.must(t, http.StatusOK, "PATCH", path, writeToken, `{"token_overrides":{"format":null,"reuse":null}}`), &got)
		o := got.TokenOverrides
		if o.Format != nil || o.Reuse != nil || o.LifetimeSeconds == nil || o.DefaultAudience == nil || got.Name != "acme two" {
			t.Fatalf("overrides %+v, name %q", o, got.Name)
		}
		if !strings.Contains(f.do(t, "GET", path, readToken, "").Body.String(), `"token_overrides":{"format":null,"lifetime_seconds":7776000,"reuse":null,`) {
			t.Error("GET does not show the cleared overrides as null")
		}
	})
	t.Run("empty lists empty the client's lists", func(t *testing.T) {
		var got wire.Client
		decode(t, f.must(t, http.StatusOK, "PATCH", path, writeToken, `{"scopes":[],"allowed_cidrs":[]}`), &got)
		if len(got.Scopes) != 0 || len(got.AllowedCIDRs) != 0 || len(got.Audiences) != 1 {
			t.Fatalf("answer %+v", got)
		}
	})
	for _, tt := range []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"a null name is invalid", path, `{"name":null}`, 400, gatehouse.EINVALID},
		{"an empty name is invalid", path, `{"name":"  "}`, 400, gatehouse.EINVALID},
		{"null scopes are invalid", path, `{"scopes":null}`, 400, gatehouse.EINVALID},
		{"a bad scope is invalid", path, `{"scopes":["a b"]}`, 400, gatehouse.EINVALID},
		{"a bad CIDR is invalid", path, `{"allowed_cidrs":["10.0.0.1"]}`, 400, gatehouse.EINVALID},
		{"a lifetime over 90 days is invalid", path, `{"token_overrides":{"lifetime_seconds":7776001}}`, 400, gatehouse.EINVALID},
		{"an unknown format is invalid", path, `{"token_overrides":{"format":"xml"}}`, 400, gatehouse.EINVALID},
		{"an empty default audience is invalid", path, `{"token_overrides":{"default_audience":""}}`, 400, gatehouse.EINVALID},
		{"an unknown field is invalid", path, `{"status":"active"}`, 400, gatehouse.EINVALID},
		{"an unknown client is not found", "/admin/v1/clients/nope", `{"name":"x"}`, 404, gatehouse.ENOTFOUND},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, f.do(t, "PATCH", tt.path, writeToken, tt.body), tt.status, tt.code)
		})
	}
}

func TestRevokeClientSecret(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := f.createClient(t, `{"environment":"sandbox","name":"acme"}`)
	f.advance(time.Hour)
	var second wire.ClientWithSecret
	decode(t, f.must(t, http.StatusOK, "POST", "/admin/v1/clients/"+first.ClientID+"/rotate", writeToken, `{"grace_seconds":86400}`), &second)
	oldID := second.Secrets[0].ID

	t.Run("revoking the old secret ends it at once and keeps the new one", func(t *testing.T) {
		before := f.refreshes.Load()
		var got wire.Client
		decode(t, f.must(t, http.StatusOK, "POST", fmt.Sprintf("/admin/v1/clients/%s/secrets/%d/revoke", first.ClientID, oldID), writeToken, ""), &got)
		if len(got.Secrets) != 1 || got.Secrets[0].ID != second.Secrets[1].ID {
			t.Fatalf("secrets %+v", got.Secrets)
		}
		stored := f.storedClient(t, first.ClientID)
		if stored.VerifySecret(first.ClientSecret, f.clock()) || !stored.VerifySecret(second.ClientSecret, f.clock()) {
			t.Fatal("the revoked secret works or the other one does not")
		}
		recs, err := f.store.RevokedCredentials(ctx, f.clock())
		if err != nil || len(recs) != 1 || recs[0].Kind != gatehouse.RevokedSecret || recs[0].ID != fmt.Sprint(oldID) {
			t.Fatalf("revocation records %+v, %v", recs, err)
		}
		if n := f.refreshes.Load() - before; n != 1 {
			t.Errorf("%d cache refreshes, want 1", n)
		}
	})
	for _, tt := range []struct{ name, path string }{
		{"revoking it again is not found", fmt.Sprintf("/admin/v1/clients/%s/secrets/%d/revoke", first.ClientID, oldID)},
		{"a secret id that is not a number is not found", "/admin/v1/clients/" + first.ClientID + "/secrets/x/revoke"},
		{"a secret of an unknown client is not found", fmt.Sprintf("/admin/v1/clients/nope/secrets/%d/revoke", second.Secrets[1].ID)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, f.do(t, "POST", tt.path, writeToken, ""), 404, gatehouse.ENOTFOUND)
		})
	}

	t.Run("revoking a client records it for the revocation feed", func(t *testing.T) {
		f.must(t, http.StatusOK, "POST", "/admin/v1/clients/"+first.ClientID+"/revoke", writeToken, "")
		recs, _ := f.store.RevokedCredentials(ctx, f.clock())
		var found bool
		for _, r := range recs {
			found = found || (r.Kind == gatehouse.RevokedClient && r.ID == first.ClientID && r.RevokedAt.Equal(f.clock()))
		}
		if len(recs) != 2 || !found {
			t.Fatalf("revocation records %d, client's found %v", len(recs), found)
		}
	})
}

// addUser stores a user with password pw.
func (f *fixture) addUser(t *testing.T, email, pw string, mod func(u *gatehouse.User)) {
	t.Helper()
	h, err := password.Hash(pw, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u := &gatehouse.User{Email: email, PasswordHash: h, Operator: true, CreatedAt: startTime}
	if mod != nil {
		mod(u)
	}
	if err := f.store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) audits(t *testing.T, clientID string) []*gatehouse.AuditEvent {
	t.Helper()
	list, err := f.store.AuditEvents(context.Background(), gatehouse.AuditFilter{Object: "client:" + clientID, Action: "client.reveal"})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestRevealClientSecret(t *testing.T) {
	f := newFixture(t)
	f.withMasterKey(t)
	f.addUser(t, "admin@localhost", "operator-pw", nil)
	early := f.createClient(t, `{"environment":"sandbox","name":"before reveal"}`)
	f.must(t, http.StatusOK, "PATCH", "/admin/v1/environments/sandbox", writeToken, `{"allow_reveal":true}`)
	c := f.createClient(t, `{"environment":"sandbox","name":"acme"}`)
	other := f.createClient(t, `{"environment":"sandbox","name":"other"}`)
	f.addUser(t, "dev@acme.example", "dev-pw", func(u *gatehouse.User) {
		u.Operator, u.AccountID, u.Role = false, c.AccountID, gatehouse.RoleDeveloper
	})
	f.addUser(t, "viewer@acme.example", "viewer-pw", func(u *gatehouse.User) {
		u.Operator, u.AccountID, u.Role = false, c.AccountID, gatehouse.RoleViewer
	})
	f.addUser(t, "gone@acme.example", "gone-pw", func(u *gatehouse.User) { u.Disabled = true })
	prod := f.createClient(t, `{"environment":"production","name":"prod"}`)
	reveal := func(id, body string) *wire.RevealedSecret {
		t.Helper()
		var out wire.RevealedSecret
		decode(t, f.must(t, http.StatusOK, "POST", "/admin/v1/clients/"+id+"/reveal", writeToken, body), &out)
		return &out
	}

	t.Run("an operator sees the secret and API key shown at creation, and the reveal is audited", func(t *testing.T) {
		got := reveal(c.ClientID, `{"email":"admin@localhost","password":"operator-pw"}`)
		if got.ClientSecret != c.ClientSecret || got.APIKey != c.APIKey || got.SecretID != c.Secrets[0].ID || got.Environment != "sandbox" {
			t.Fatalf("revealed %+v, want the secret of %+v", got, c)
		}
		events := f.audits(t, c.ClientID)
		if len(events) != 1 || events[0].Outcome != gatehouse.OutcomeSuccess || events[0].Actor != "user:admin@localhost" ||
			!strings.Contains(events[0].Detail, "admin-client") {
			t.Fatalf("audit events %+v", events)
		}
	})
	t.Run("a developer of the account may reveal", func(t *testing.T) {
		if got := reveal(c.ClientID, `{"email":"dev@acme.example","password":"dev-pw"}`); got.ClientSecret != c.ClientSecret {
			t.Fatal("wrong secret")
		}
	})
	t.Run("after a rotation the new secret is shown", func(t *testing.T) {
		var rotated wire.ClientWithSecret
		f.advance(time.Second)
		decode(t, f.must(t, http.StatusOK, "POST", "/admin/v1/clients/"+c.ClientID+"/rotate", writeToken, `{"grace_seconds":60}`), &rotated)
		if got := reveal(c.ClientID, `{"email":"admin@localhost","password":"operator-pw"}`); got.ClientSecret != rotated.ClientSecret {
			t.Fatal("the reveal did not show the newest secret")
		}
	})

	for _, tt := range []struct {
		name, id, body string
		status         int
		code           string
	}{
		{"a wrong password is refused", c.ClientID, `{"email":"admin@localhost","password":"wrong"}`, 403, gatehouse.EFORBIDDEN},
		{"an unknown user is refused", c.ClientID, `{"email":"nobody@example.com","password":"operator-pw"}`, 403, gatehouse.EFORBIDDEN},
		{"a disabled user is refused", c.ClientID, `{"email":"gone@acme.example","password":"gone-pw"}`, 403, gatehouse.EFORBIDDEN},
		{"a viewer is refused", c.ClientID, `{"email":"viewer@acme.example","password":"viewer-pw"}`, 403, gatehouse.EFORBIDDEN},
		{"a user of another account is refused", other.ClientID, `{"email":"dev@acme.example","password":"dev-pw"}`, 403, gatehouse.EFORBIDDEN},
		{"an environment that does not allow reveal refuses", prod.ClientID, `{"email":"admin@localhost","password":"operator-pw"}`, 403, gatehouse.EFORBIDDEN},
		{"a secret made before reveal was allowed is a conflict", early.ClientID, `{"email":"admin@localhost","password":"operator-pw"}`, 409, gatehouse.ECONFLICT},
		{"a missing password is invalid", c.ClientID, `{"email":"admin@localhost"}`, 400, gatehouse.EINVALID},
		{"an unknown client is not found", "nope", `{"email":"admin@localhost","password":"operator-pw"}`, 404, gatehouse.ENOTFOUND},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, "POST", "/admin/v1/clients/"+tt.id+"/reveal", writeToken, tt.body)
			checkError(t, rec, tt.status, tt.code)
			if strings.Contains(rec.Body.String(), c.ClientSecret) {
				t.Fatal("a refused reveal shows the secret")
			}
		})
	}
	t.Run("refused reveals are audited too", func(t *testing.T) {
		var denied int
		for _, e := range f.audits(t, c.ClientID) {
			if e.Outcome == gatehouse.OutcomeDenied {
				denied++
			}
		}
		if denied != 4 {
			t.Fatalf("%d denied reveals audited, want 4", denied)
		}
	})
	t.Run("a read-only caller may not reveal", func(t *testing.T) {
		checkError(t, f.do(t, "POST", "/admin/v1/clients/"+c.ClientID+"/reveal", readToken,
			`{"email":"admin@localhost","password":"operator-pw"}`), 403, gatehouse.EFORBIDDEN)
	})
	t.Run("no secret or password reaches the log or the audit trail", func(t *testing.T) {
		logs := f.log.String()
		for _, s := range []string{c.ClientSecret, "operator-pw", "dev-pw"} {
			if strings.Contains(logs, s) {
				t.Errorf("the log contains %q", s)
			}
		}
		for _, e := range f.audits(t, c.ClientID) {
			if strings.Contains(fmt.Sprintf("%+v", e), c.ClientSecret) || strings.Contains(e.Detail, "pw") {
				t.Errorf("audit event %+v holds a secret or password", e)
			}
		}
	})
	t.Run("the stored copy is encrypted", func(t *testing.T) {
		s := f.storedClient(t, c.ClientID)
		for _, sec := range s.Secrets {
			if len(sec.Sealed) == 0 || strings.Contains(string(sec.Sealed), c.ClientSecret) {
				t.Fatalf("secret %d stored as %q", sec.ID, sec.Sealed)
			}
		}
		if e := f.storedClient(t, early.ClientID); e.Secrets[0].Sealed != nil {
			t.Fatal("a secret created before reveal was allowed has a sealed copy")
		}
	})
}
