package manage

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/gatefile"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// refSecret is a secret a file refers to, of the native length (so it has
// an API key).
const refSecret = "Zq7Vw2mZ9xLp4TtR8yBn3HcJ6sFd1GgE5aUoWiYkQ0r"

// onBothStores runs fn on a fresh SQLite fixture and, when the test
// PostgreSQL is set, on a fresh PostgreSQL fixture.
func onBothStores(t *testing.T, fn func(t *testing.T, newFixture func(t *testing.T) *fixture)) {
	for _, db := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite://" + filepath.Join(t.TempDir(), "gatehouse.db") }},
		{"postgres", func(t *testing.T) string { return testenv.PostgresSchema(t) }},
	} {
		t.Run(db.name, func(t *testing.T) {
			fn(t, func(t *testing.T) *fixture { return newFixtureOn(t, db.dsn(t)) })
		})
	}
}

// testJWKS returns a JWK Set with a fresh P-256 public key.
func testJWKS(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	return fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"P-256","x":%q,"y":%q,"kid":"k1"}]}`, enc.EncodeToString(b[1:33]), enc.EncodeToString(b[33:]))
}

// encode is the YAML of a document.
func encode(t *testing.T, d *gatefile.Document) string {
	t.Helper()
	var b bytes.Buffer
	if err := gatefile.Encode(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func (f *fixture) export(t *testing.T, o ExportOptions) string {
	t.Helper()
	d, err := f.service.Export(f.ctx, apiWriter(), o)
	if err != nil {
		t.Fatal(err)
	}
	return encode(t, d)
}

// populate gives a fixture one of everything a file describes: changed
// environment settings and a new environment, a third account, a client
// with two secrets in a rotation's grace period, JWKS, allowlist and token
// overrides, a revoked client, a legacy-key client, users (an owner, a
// disabled developer) and a pending invitation.
func populate(t *testing.T, f *fixture) (graced *ClientWithSecret, oldSecret string) {
	t.Helper()
	w := apiWriter()
	reuse, life := true, int64(3600)
	if _, err := f.service.UpdateEnvironment(f.ctx, w, "sandbox", EnvironmentPatch{
		Tokens: &TokenSettingsPatch{LifetimeSeconds: Field[int64]{Set: true, Value: life}, Reuse: Field[bool]{Set: true, Value: reuse}},
		Limits: &RateLimitsPatch{ClientPerMinute: new(int)},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.service.CreateEnvironment(f.ctx, w, NewEnvironment{Name: "staging", SigningAlgorithm: gatehouse.AlgEdDSA}); err != nil {
		t.Fatal(err)
	}
	third := f.account(t, "Gamma")
	c, err := f.service.CreateClient(f.ctx, w, NewClient{Environment: "staging", AccountID: third.ID, Name: "ledger",
		Scopes: []string{"ledger:write", "ledger:read"}, Audiences: []string{"https://api.example.com"},
		AllowedCIDRs: []string{"203.0.113.0/24", "2001:db8::/32"}, JWKS: testJWKS(t)})
	if err != nil {
		t.Fatal(err)
	}
	oldSecret = c.Secret
	if _, err := f.service.UpdateClient(f.ctx, w, c.Client.ID, ClientPatch{Tokens: &TokenSettingsPatch{
		LifetimeSeconds: Field[int64]{Set: true, Value: 600}, DefaultAudience: Field[string]{Set: true, Value: "https://api.example.com"}}}); err != nil {
		t.Fatal(err)
	}
	f.advance(time.Minute)
	if graced, err = f.service.RotateSecret(f.ctx, w, c.Client.ID, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	gone := f.client(t, f.beta.ID)
	if _, err := f.service.RevokeClient(f.ctx, w, gone.Client.ID); err != nil {
		t.Fatal(err)
	}
	f.client(t, f.acme.ID)
	rep, err := f.service.Import(f.ctx, w, []ImportClient{
		{Line: 1, APIKey: "3f2b8c1e-9d4a-4b7e-8f21-6c5d9e0a1b2c", Account: "1", Environment: "production"},
		{Line: 2, ClientID: "must-rotate-1", Account: "2", Environment: "sandbox", MustRotate: true},
	}, true)
	if err != nil || rep.Created != 2 {
		t.Fatalf("import of a legacy key: %+v, %v", rep, err)
	}
	f.user(t, "owner@acme.example", "correct horse battery", f.acme.ID, gatehouse.RoleOwner, false)
	dev := f.user(t, "dev@acme.example", "correct horse battery", f.acme.ID, gatehouse.RoleDeveloper, false)
	if _, err := f.service.UpdateUser(f.ctx, w, f.acme.ID, dev.UserID, UserPatch{Disabled: new(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.service.Invite(f.ctx, w, third.ID, "new@gamma.example", gatehouse.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	return graced, oldSecret
}

// TestExportApplyRoundTrip: a server exported with hashes and applied to an
// empty server exports the same bytes there; the moved secrets still work;
// applying again changes nothing.
func TestExportApplyRoundTrip(t *testing.T) {
	onBothStores(t, func(t *testing.T, newFixture func(t *testing.T) *fixture) {
		a := newFixture(t)
		graced, oldSecret := populate(t, a)
		doc, err := a.service.Export(a.ctx, apiWriter(), ExportOptions{IncludeHashes: true})
		if err != nil {
			t.Fatal(err)
		}
		want := encode(t, doc)
		if again := a.export(t, ExportOptions{IncludeHashes: true}); again != want {
			t.Fatalf("two exports of an unchanged server differ:\n%s\n---\n%s", want, again)
		}
		for _, s := range []string{graced.Secret, oldSecret} {
			if strings.Contains(want, s) {
				t.Fatal("the export holds a secret")
			}
		}
		for _, part := range []string{"name: staging", "ip_per_minute: 600", "id: 3\n    name: Gamma", "203.0.113.0/24", "2001:db8::/32",
			"lifetime_seconds: 600", "expires_at:", "sha256:", "lk-", "status: revoked", "disabled: true", "new@gamma.example", "jwks:", "must_rotate: true"} {
			if !strings.Contains(want, part) {
				t.Errorf("the export lacks %q:\n%s", part, want)
			}
		}
		if strings.Contains(want, "admin@") || strings.Contains(want, "name: admin\n") {
			t.Errorf("the export names the admin environment or an operator:\n%s", want)
		}

		// The file goes through YAML, as the CLI sends it.
		read, err := gatefile.Decode(strings.NewReader(want))
		if err != nil {
			t.Fatal(err)
		}
		b := newFixture(t)
		res, err := b.service.Apply(b.ctx, apiWriter(), read, ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Applied || len(res.Changes) == 0 || len(res.Credentials) != 0 || len(res.Invitations) != 2 {
			t.Fatalf("apply into an empty server: applied %v, %d changes, %d credentials, %d invitations",
				res.Applied, len(res.Changes), len(res.Credentials), len(res.Invitations))
		}
		if got := b.export(t, ExportOptions{IncludeHashes: true}); got != want {
			t.Fatalf("the moved server exports differently:\n%s\n--- want ---\n%s", got, want)
		}
		moved, err := b.store.Client(b.ctx, graced.Client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !moved.VerifySecret(graced.Secret, b.now) || !moved.VerifySecret(oldSecret, b.now) {
			t.Fatal("the moved client's two secrets do not both work")
		}
		if moved.VerifySecret(oldSecret, b.now.Add(25*time.Hour)) {
			t.Fatal("the old secret outlived its grace period on the moved client")
		}
		legacy, err := b.store.Client(b.ctx, gatehouse.LegacyKeyClientID("3f2b8c1e-9d4a-4b7e-8f21-6c5d9e0a1b2c"))
		if err != nil || !legacy.VerifySecret("3f2b8c1e-9d4a-4b7e-8f21-6c5d9e0a1b2c", b.now) {
			t.Fatalf("the legacy key client did not move: %v", err)
		}
		if len(b.audits(t, "client:"+graced.Client.ID)) == 0 {
			t.Error("the creation of a client by apply is not audited")
		}

		for name, f := range map[string]*fixture{"the source": a, "the moved server": b} {
			before := len(f.audits(t, ""))
			res, err := f.service.Apply(f.ctx, apiWriter(), read, ApplyOptions{Prune: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Applied || len(res.Changes) != 0 {
				t.Fatalf("applying the file again to %s: applied %v, changes %+v", name, res.Applied, res.Changes)
			}
			if after := len(f.audits(t, "")); after != before {
				t.Fatalf("a no-op apply to %s wrote %d audit records", name, after-before)
			}
		}

		// Dropping must_rotate issues a secret, as a rotation would.
		for i := range read.Clients {
			if read.Clients[i].ID == "must-rotate-1" {
				read.Clients[i].MustRotate = false
			}
		}
		res, err = b.service.Apply(b.ctx, apiWriter(), read, ApplyOptions{})
		if err != nil || len(res.Changes) != 1 || len(res.Credentials) != 1 || res.Credentials[0].Secret == "" {
			t.Fatalf("leaving must-rotate: %+v, %v", res, err)
		}
		if c, _ := b.store.Client(b.ctx, "must-rotate-1"); c.MustRotate || !c.VerifySecret(res.Credentials[0].Secret, b.now) {
			t.Fatal("the client left must-rotate without a working secret")
		}
	})
}

// TestApplyDryRunBadEntryAndPrune: a dry run and a file with one bad entry
// write nothing; prune revokes and deletes only unlisted objects of the
// listed environments and accounts, and only when asked.
func TestApplyDryRunBadEntryAndPrune(t *testing.T) {
	onBothStores(t, func(t *testing.T, newFixture func(t *testing.T) *fixture) {
		f := newFixture(t)
		w := apiWriter()
		keep := f.client(t, f.acme.ID)
		stale := f.client(t, f.acme.ID)
		other := f.client(t, f.beta.ID) // an account the file does not list
		prod, err := f.service.CreateClient(f.ctx, w, NewClient{Environment: "production", AccountID: f.acme.ID, Name: "prod"})
		if err != nil {
			t.Fatal(err)
		}
		admin, err := f.service.CreateClient(f.ctx, w, NewClient{Environment: "admin", AccountID: f.acme.ID, Name: "ops"})
		if err != nil {
			t.Fatal(err)
		}
		f.user(t, "owner@acme.example", "correct horse battery", f.acme.ID, gatehouse.RoleOwner, false)
		f.user(t, "gone@acme.example", "correct horse battery", f.acme.ID, gatehouse.RoleViewer, false)
		if _, err := f.service.Invite(f.ctx, w, f.acme.ID, "pending@acme.example", gatehouse.RoleViewer); err != nil {
			t.Fatal(err)
		}

		doc := &gatefile.Document{
			Version:      gatefile.Version,
			Environments: []gatefile.Environment{{Name: "sandbox"}},
			Accounts:     []gatefile.Account{{ID: f.acme.ID, Name: "Acme"}},
			Users:        []gatefile.User{{Email: "owner@acme.example", Account: f.acme.ID, Role: gatehouse.RoleOwner}},
			Clients: []gatefile.Client{
				{ID: keep.Client.ID, Environment: "sandbox", Account: f.acme.ID, Name: "app", Scopes: []string{"b", "a"}},
				{ID: "Ref0123456789abcdefg", Environment: "sandbox", Account: f.acme.ID, Name: "new", Secret: refSecret},
			},
		}
		before := f.export(t, ExportOptions{IncludeHashes: true})

		res, err := f.service.Apply(f.ctx, w, doc, ApplyOptions{DryRun: true, Prune: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Applied || len(res.Changes) == 0 || res.Credentials != nil {
			t.Fatalf("dry run: %+v", res)
		}
		if got := f.export(t, ExportOptions{IncludeHashes: true}); got != before {
			t.Fatal("a dry run changed the server")
		}

		bad := *doc
		bad.Clients = append(append([]gatefile.Client{}, doc.Clients...),
			gatefile.Client{ID: "third", Environment: "sandbox", Account: f.acme.ID, Name: "x", Scopes: []string{"ok", "bad scope"}})
		_, err = f.service.Apply(f.ctx, w, &bad, ApplyOptions{Prune: true})
		wantCode(t, "a bad scope", err, gatehouse.EINVALID)
		if !strings.Contains(err.Error(), "clients[2].scopes[1]") {
			t.Fatalf("the refusal does not name the entry's path: %v", err)
		}
		// Refusals found only against the store are all-or-nothing too.
		late := *doc
		late.Clients = append(append([]gatefile.Client{}, doc.Clients...),
			gatefile.Client{ID: "fourth", Environment: "nowhere", Account: f.acme.ID, Name: "x"})
		_, err = f.service.Apply(f.ctx, w, &late, ApplyOptions{Prune: true})
		if gatehouse.ErrorCode(err) != gatehouse.EINVALID || !strings.Contains(err.Error(), "clients[2].environment") {
			t.Fatalf("an unknown environment: %v", err)
		}
		if got := f.export(t, ExportOptions{IncludeHashes: true}); got != before {
			t.Fatal("a refused file changed the server")
		}
		if _, err := f.service.Apply(f.ctx, apiReader(), doc, ApplyOptions{}); gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
			t.Fatalf("a reader applied a file: %v", err)
		}

		// Without prune nothing unlisted goes.
		res, err = f.service.Apply(f.ctx, w, doc, ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Changes {
			if c.Action == PlanRevoke || c.Action == PlanDelete {
				t.Fatalf("apply without prune did %+v", c)
			}
		}
		if len(res.Credentials) != 1 || res.Credentials[0].ClientID != "Ref0123456789abcdefg" || res.Credentials[0].Secret != "" || res.Credentials[0].APIKey == "" {
			t.Fatalf("a client with a referenced secret: credentials %+v", res.Credentials)
		}
		nc, err := f.store.Client(f.ctx, "Ref0123456789abcdefg")
		if err != nil || !nc.VerifySecret(refSecret, f.now) {
			t.Fatalf("the referenced secret does not work: %v", err)
		}
		if c, _ := f.store.Client(f.ctx, keep.Client.ID); strings.Join(c.Scopes, " ") != "a b" {
			t.Fatalf("scopes = %v", c.Scopes)
		}
		if c, _ := f.store.Client(f.ctx, stale.Client.ID); !c.Active() {
			t.Fatal("apply without prune revoked an unlisted client")
		}

		res, err = f.service.Apply(f.ctx, w, doc, ApplyOptions{Prune: true})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, c := range res.Changes {
			got[c.Key] = c.Action
		}
		wantChanges := map[string]string{stale.Client.ID: PlanRevoke, "gone@acme.example": PlanDelete, "pending@acme.example": PlanDelete}
		if fmt.Sprint(got) != fmt.Sprint(wantChanges) {
			t.Fatalf("prune changed %v, want %v", got, wantChanges)
		}
		for _, id := range []string{other.Client.ID, prod.Client.ID, admin.Client.ID, keep.Client.ID} {
			if c, _ := f.store.Client(f.ctx, id); !c.Active() {
				t.Fatalf("prune revoked client %s outside its scope", id)
			}
		}
		if c, _ := f.store.Client(f.ctx, stale.Client.ID); c.Active() {
			t.Fatal("prune left an unlisted client active")
		}
		if _, err := f.store.UserByEmail(f.ctx, "gone@acme.example"); gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND {
			t.Fatalf("prune left an unlisted user: %v", err)
		}
		if _, err := f.store.UserByEmail(f.ctx, "admin@localhost"); err == nil {
			t.Fatal("the fixture has an operator it should not")
		}
		if res, err := f.service.Apply(f.ctx, w, doc, ApplyOptions{Prune: true}); err != nil || len(res.Changes) != 0 {
			t.Fatalf("prune again: %+v, %v", res, err)
		}
		if len(f.audits(t, "client:"+stale.Client.ID)) < 2 {
			t.Error("the revocation by prune is not audited")
		}

		// Pruning the last owner is refused, and writes nothing.
		noOwner := *doc
		noOwner.Users = nil
		_, err = f.service.Apply(f.ctx, w, &noOwner, ApplyOptions{Prune: true})
		wantCode(t, "pruning the last owner", err, gatehouse.ECONFLICT)
		if _, err := f.store.UserByEmail(f.ctx, "owner@acme.example"); err != nil {
			t.Fatalf("a refused prune deleted the owner: %v", err)
		}
	})
}

// TestApplyGeneratesSecretsAndLogsNone: a new client without a secret
// reference gets a generated secret (and API key), returned once; no log
// line holds it.
func TestApplyGeneratesSecretsAndLogsNone(t *testing.T) {
	f := newFixture(t)
	var logs testenv.Logs
	f.service.logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	doc := &gatefile.Document{Version: gatefile.Version, Clients: []gatefile.Client{
		{ID: "Abcdefghij0123456789", Environment: "sandbox", Account: f.acme.ID, Name: "gen"},
	}}
	res, err := f.service.Apply(f.ctx, apiWriter(), doc, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Credentials) != 1 || len(res.Credentials[0].Secret) != gatehouse.SecretLength || res.Credentials[0].APIKey == "" {
		t.Fatalf("credentials = %+v", res.Credentials)
	}
	cred := res.Credentials[0]
	c, err := f.store.Client(f.ctx, cred.ClientID)
	if err != nil || !c.VerifySecret(cred.Secret, f.now) {
		t.Fatalf("the generated secret does not work: %v", err)
	}
	if id, sec, err := gatehouse.ParseAPIKey(cred.APIKey); err != nil || id != cred.ClientID || sec != cred.Secret {
		t.Fatalf("the API key does not carry the credential: %v", err)
	}
	if !strings.Contains(logs.String(), "applied") {
		t.Fatalf("no log line about the apply: %s", logs.String())
	}
	if strings.Contains(logs.String(), cred.Secret) {
		t.Fatal("a log line holds the generated secret")
	}
	for _, ev := range f.audits(t, "client:"+cred.ClientID) {
		if strings.Contains(ev.Detail, cred.Secret) {
			t.Fatal("an audit record holds the generated secret")
		}
	}
}

// schemaValidator compiles docs/gatehouse-file.schema.json, asserting
// formats (date-time).
func schemaValidator(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "gatehouse-file.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("gatehouse-file.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("gatehouse-file.schema.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return sch
}

// validateYAML validates a YAML Gatehouse file against the schema.
func validateYAML(t *testing.T, sch *jsonschema.Schema, file string) error {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(file), &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v) // timestamps become RFC 3339 strings
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

// TestExportedFileMatchesTheSchema: what export writes, with every kind of
// object and field, is valid under the documented JSON Schema, and so is a
// hand-written file with secret references; files the server refuses for
// their shape are invalid under it too.
func TestExportedFileMatchesTheSchema(t *testing.T) {
	sch := schemaValidator(t)
	f := newFixture(t)
	populate(t, f)
	for _, o := range []ExportOptions{{IncludeHashes: true}, {}, {Environment: "staging", AccountID: 3}} {
		file := f.export(t, o)
		if err := validateYAML(t, sch, file); err != nil {
			t.Fatalf("the export (%+v) does not match the schema: %v\n%s", o, err, file)
		}
	}
	valid := "version: 1\nclients:\n  - id: acme-ledger\n    environment: sandbox\n    account: 1\n    name: ledger\n    secret_from_env: LEDGER_SECRET\n"
	if err := validateYAML(t, sch, valid); err != nil {
		t.Fatalf("a file with a secret reference: %v", err)
	}
	for name, file := range map[string]string{
		"an unknown field":       "version: 1\nclients:\n  - id: a\n    environment: sandbox\n    account: 1\n    name: n\n    colour: red\n",
		"the admin environment":  "version: 1\nenvironments:\n  - name: admin\n",
		"two secret references":  valid + "    secret_from_file: x\n",
		"a plain secret":         "version: 1\nclients:\n  - id: a\n    environment: sandbox\n    account: 1\n    name: n\n    secret: s3cr3t\n",
		"a bad hash":             "version: 1\nclients:\n  - id: a\n    environment: sandbox\n    account: 1\n    name: n\n    secrets:\n      - sha256: XYZ\n        created_at: 2026-01-01T00:00:00Z\n",
		"another version":        "version: 2\n",
		"a user without account": "version: 1\nusers:\n  - email: a@b.example\n    role: owner\n",
	} {
		if err := validateYAML(t, sch, file); err == nil {
			t.Errorf("the schema accepts %s", name)
		}
		if d, err := gatefile.Decode(strings.NewReader(file)); err == nil {
			if err := checkDocument(d); err == nil && name != "two secret references" {
				t.Errorf("the service accepts %s", name)
			}
		}
	}
}
