package manage

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

func testPublicKeyPEM(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// TestImportOfJSONSourcesKeepsKeysRotatedSecretsAndLifetimes imports rows
// as the Keycloak and Hydra readers make them: public keys without a
// secret, a rotated secret with its expiry (live, expired, without one),
// audiences, a token lifetime, rows the reader skips, and places by path.
func TestImportOfJSONSourcesKeepsKeysRotatedSecretsAndLifetimes(t *testing.T) {
	f := newFixture(t)
	const cur, old = "Cur-S3cret-0123456789abcdefXYZ", "Old-S3cret-0123456789abcdefXYZ"
	keys := testPublicKeyPEM(t)
	rows := []ImportClient{
		{Path: "clients[0]", ClientID: "realm-management", Skip: "a built-in client of Keycloak"},
		{Path: "clients[1]", ClientID: "rotating", Secret: cur, RotatedSecret: old, RotatedExpires: startTime.Add(time.Hour),
			Account: "sandbox", Environment: "sandbox", Scopes: []string{"ledger:read"}, TokenLifetime: 10 * time.Minute},
		{Path: "clients[2]", ClientID: "expired", Secret: cur, RotatedSecret: old, RotatedExpires: startTime.Add(-time.Second),
			Account: "sandbox", Environment: "sandbox"},
		{Path: "clients[3]", ClientID: "no-expiry", Secret: cur, RotatedSecret: old, Account: "sandbox", Environment: "sandbox"},
		{Path: "clients[4]", ClientID: "jwt-svc", PublicKeyPEM: keys, Account: "sandbox", Environment: "sandbox",
			Audiences: []string{"https://ledger.example"}},
	}
	rep, err := f.service.Import(f.ctx, apiWriter(), rows, true)
	if err != nil || !rep.Applied || rep.Created != 4 || rep.Skipped != 1 {
		t.Fatalf("import = %+v, %v", rep, err)
	}
	for i, r := range rep.Rows {
		if r.Path != rows[i].Path || r.Line != 0 {
			t.Fatalf("row %d placed at %q line %d", i, r.Path, r.Line)
		}
	}
	if !strings.Contains(rep.Rows[2].Reason, "expired") || !strings.Contains(rep.Rows[3].Reason, "no expiry") ||
		!strings.Contains(rep.Rows[1].Reason, "works until") {
		t.Fatalf("reasons = %+v", rep.Rows)
	}

	c, _ := f.store.Client(f.ctx, "rotating")
	if len(c.Secrets) != 2 || c.Tokens.Lifetime == nil || *c.Tokens.Lifetime != 10*time.Minute {
		t.Fatalf("rotating = %+v", c)
	}
	before, after := startTime.Add(59*time.Minute), startTime.Add(61*time.Minute)
	if !c.VerifySecret(cur, before) || !c.VerifySecret(old, before) || !c.VerifySecret(cur, after) || c.VerifySecret(old, after) {
		t.Fatal("the rotated secret must work until its expiry, the current one after it too")
	}
	for _, id := range []string{"expired", "no-expiry"} {
		if c, _ := f.store.Client(f.ctx, id); len(c.Secrets) != 1 || c.VerifySecret(old, startTime) {
			t.Fatalf("%s kept a rotated secret it should not: %+v", id, c.Secrets)
		}
	}
	j, _ := f.store.Client(f.ctx, "jwt-svc")
	if len(j.Secrets) != 0 || j.PublicKeyPEM != keys || !j.AllowsAudience("https://ledger.example") {
		t.Fatalf("jwt-svc = %+v", j)
	}

	again, err := f.service.Import(f.ctx, apiWriter(), rows, true)
	if err != nil || again.Skipped != 5 || again.Created+again.Updated+again.Refused != 0 {
		t.Fatalf("second run = %+v, %v", again, err)
	}

	rows[4].PublicKeyPEM = testPublicKeyPEM(t)
	rows[1].TokenLifetime = time.Hour
	upd, err := f.service.Import(f.ctx, apiWriter(), rows, true)
	if err != nil || upd.Updated != 2 {
		t.Fatalf("new keys and lifetime = %+v, %v", upd, err)
	}
	if j, _ = f.store.Client(f.ctx, "jwt-svc"); j.PublicKeyPEM != rows[4].PublicKeyPEM {
		t.Fatal("new public keys were not brought in")
	}
	if c, _ = f.store.Client(f.ctx, "rotating"); *c.Tokens.Lifetime != time.Hour || len(c.Secrets) != 2 {
		t.Fatalf("rotating after the update = %+v", c)
	}
}

func TestImportRefusesRowsItCannotServe(t *testing.T) {
	f := newFixture(t)
	for name, tc := range map[string]struct {
		row  ImportClient
		want string
	}{
		"no credential at all":       {ImportClient{ClientID: "a"}, "or public keys"},
		"a lifetime past the most":   {ImportClient{ClientID: "a", Secret: strongOld, TokenLifetime: 91 * 24 * time.Hour}, "outside"},
		"a negative lifetime":        {ImportClient{ClientID: "a", Secret: strongOld, TokenLifetime: -time.Second}, "outside"},
		"a rotated secret alone":     {ImportClient{ClientID: "a", PublicKeyPEM: testPublicKeyPEM(t), RotatedSecret: strongOld}, "current secret"},
		"keys that are not keys":     {ImportClient{ClientID: "a", PublicKeyPEM: "-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n"}, "PUBLIC KEY"},
		"a missing environment":      {ImportClient{ClientID: "a", Secret: strongOld, Environment: "staging"}, `environment "staging" does not exist`},
		"an audience with a space":   {ImportClient{ClientID: "a", Secret: strongOld, Audiences: []string{"a b"}}, "audience"},
		"a problem of the reader":    {ImportClient{ClientID: "a", Problem: "the keys are at a JWKS URL"}, "JWKS URL"},
		"a weak long rotated secret": {ImportClient{ClientID: "a", Secret: strongOld, RotatedSecret: strings.Repeat("ab", 40), RotatedExpires: startTime.Add(time.Hour)}, "rotated secret"},
	} {
		t.Run(name, func(t *testing.T) {
			row := tc.row
			row.Path = "items[7]"
			if row.Environment == "" {
				row.Environment = "sandbox"
			}
			row.Account = "Acme"
			rep, err := f.service.Import(f.ctx, apiWriter(), []ImportClient{row}, true)
			if err != nil || rep.Applied || rep.Refused != 1 || rep.Rows[0].Path != "items[7]" || !strings.Contains(rep.Rows[0].Reason, tc.want) {
				t.Fatalf("report = %+v, %v; want a refusal naming %q", rep, err, tc.want)
			}
			if _, err := f.store.Client(f.ctx, "a"); err == nil {
				t.Fatal("a refused row was written")
			}
		})
	}
}

func TestImportOfASecretForAMustRotateClientSaysItStillMustRotate(t *testing.T) {
	f := newFixture(t)
	row := ImportClient{Path: "clients[0]", ClientID: "masked", MustRotate: true, Account: "sandbox", Environment: "sandbox"}
	if rep, err := f.service.Import(f.ctx, apiWriter(), []ImportClient{row}, true); err != nil || rep.Created != 1 {
		t.Fatalf("partial export = %+v, %v", rep, err)
	}
	row.MustRotate, row.Secret = false, strongOld
	rep, err := f.service.Import(f.ctx, apiWriter(), []ImportClient{row}, true)
	if err != nil || rep.Skipped != 1 || !strings.Contains(rep.Rows[0].Reason, "still must rotate") {
		t.Fatalf("full export = %+v, %v", rep, err)
	}
	if c, _ := f.store.Client(f.ctx, "masked"); !c.MustRotate || len(c.Secrets) != 0 {
		t.Fatalf("masked = %+v", c)
	}
}
