package importfile_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/importfile"
)

// hydraClient is an OAuth2Client of Hydra's admin API as the client list
// shows it (no secret).
func hydraClient(id string, more map[string]any) map[string]any {
	c := map[string]any{
		"client_id": id, "client_name": id + " service", "scope": "ledger:read ledger:write",
		"audience": []string{"https://ledger.example"}, "grant_types": []string{"client_credentials"},
		"response_types": []string{"token"}, "token_endpoint_auth_method": "client_secret_basic",
		"owner": "Acme", "jwks": map[string]any{}, "metadata": map[string]any{},
		"created_at": "2024-01-02T03:04:05Z", "access_token_strategy": "jwt", "skip_consent": false,
	}
	for k, v := range more {
		c[k] = v
	}
	return c
}

func TestHydraListJoinsItsSecrets(t *testing.T) {
	jwks := map[string]any{"keys": []any{map[string]any{"kty": "OKP", "crv": "Ed25519", "use": "sig", "kid": "k1",
		"x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}}
	list := []any{
		hydraClient("hashed", map[string]any{"client_credentials_grant_access_token_lifespan": "1h30m0s"}),
		hydraClient("plain", map[string]any{"token_endpoint_auth_method": "client_secret_post", "owner": ""}),
		hydraClient("nosecret", nil),
		hydraClient("keys", map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks}),
		hydraClient("webapp", map[string]any{"grant_types": []string{"authorization_code", "refresh_token"}}),
		hydraClient("spa", map[string]any{"token_endpoint_auth_method": "none"}),
	}
	secrets := "client_id,secret,secret_hash\n" +
		"hashed,,$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy\n" +
		"plain,Pl41n-S3cret-0123456789abcdefXYZ,\n"
	for name, doc := range map[string]string{
		"an array":           mustJSON(t, list),
		"an object of items": mustJSON(t, map[string]any{"items": list, "next_page_token": ""}),
	} {
		t.Run(name, func(t *testing.T) {
			if got := importfile.Sniff([]byte(doc)); got != importfile.FormatHydra {
				t.Fatalf("sniffed %q", got)
			}
			rows, err := importfile.ReadFile(strings.NewReader(doc), importfile.Options{Environment: "production", Account: "",
				Secrets: strings.NewReader(secrets)})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 6 {
				t.Fatalf("%d rows: %+v", len(rows), rows)
			}
			h := rows[0]
			if h.SecretHash == "" || h.Secret != "" || h.Account != "Acme" || h.Environment != "production" ||
				strings.Join(h.Scopes, " ") != "ledger:read ledger:write" || strings.Join(h.Audiences, " ") != "https://ledger.example" ||
				h.TokenLifetime != 90*time.Minute || !strings.HasSuffix(h.Path, "[0]") || h.Problem != "" {
				t.Fatalf("hashed = %+v", h)
			}
			if p := rows[1]; p.Secret != "Pl41n-S3cret-0123456789abcdefXYZ" || !strings.Contains(p.Problem, "no owner") {
				t.Fatalf("plain (no owner, no --account) = %+v", p)
			}
			if n := rows[2]; n.Secret != "" || n.SecretHash != "" || !n.MustRotate || n.Problem != "" {
				t.Fatalf("nosecret = %+v", n)
			}
			if k := rows[3]; k.Problem != "" || k.Secret != "" {
				t.Fatalf("keys = %+v", k)
			} else if _, err := gatehouse.ParseClientKeys(k.JWKS, ""); err != nil {
				t.Fatalf("keys' JWKS: %v", err)
			}
			if rows[4].Skip == "" || rows[5].Skip == "" {
				t.Fatalf("webapp and spa are not skipped: %+v", rows[4:])
			}
		})
	}
}

func TestHydraSecretsFileProblemsNameTheirLine(t *testing.T) {
	doc := mustJSON(t, []any{hydraClient("a", nil)})
	secrets := "client_id,secret\n" +
		"a,Fi7st-S3cret-0123456789abcdefXYZ\n" +
		"ghost,Gh0st-S3cret-0123456789abcdefXYZ\n" +
		"a,Tw1ce-S3cret-0123456789abcdefXYZ\n"
	rows, err := importfile.ReadFile(strings.NewReader(doc), importfile.Options{Environment: "sandbox", Secrets: strings.NewReader(secrets)})
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for _, r := range rows {
		if r.Problem != "" {
			problems = append(problems, r.Path+": "+r.Problem)
			if strings.Contains(r.Problem, "S3cret") {
				t.Fatalf("a problem quotes a secret: %s", r.Problem)
			}
		}
	}
	if len(problems) != 2 || !strings.HasPrefix(problems[0], "secrets:4: client a is also on line 2") ||
		!strings.HasPrefix(problems[1], "secrets:3: the secrets file names a client that is not in the client list") {
		t.Fatalf("problems = %q", problems)
	}
}

func TestHydraListsGatehouseCannotReadAreRefused(t *testing.T) {
	t.Run("without an environment the whole list is refused", func(t *testing.T) {
		_, err := importfile.ReadFile(strings.NewReader(mustJSON(t, []any{hydraClient("a", nil)})), importfile.Options{})
		if gatehouse.ErrorCode(err) != gatehouse.EINVALID || !strings.Contains(gatehouse.ErrorMessage(err), "environment") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a secrets file goes with a Hydra list only", func(t *testing.T) {
		_, err := importfile.ReadFile(strings.NewReader("client_id,secret\na,b\n"), importfile.Options{Secrets: strings.NewReader("client_id,secret\n")})
		if gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
	for name, tc := range map[string]struct {
		client map[string]any
		want   string
	}{
		"keys at a URL only":   {hydraClient("x", map[string]any{"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://keys.example/jwks"}), "jwks_uri"},
		"private_key_jwt bare": {hydraClient("x", map[string]any{"token_endpoint_auth_method": "private_key_jwt"}), "without keys"},
		"mutual TLS":           {hydraClient("x", map[string]any{"token_endpoint_auth_method": "tls_client_auth"}), "not supported"},
		"a bad lifespan":       {hydraClient("x", map[string]any{"client_credentials_grant_access_token_lifespan": "forever"}), "lifespan"},
	} {
		t.Run(name, func(t *testing.T) {
			rows, err := importfile.ReadFile(strings.NewReader(mustJSON(t, map[string]any{"items": []any{tc.client}})),
				importfile.Options{Format: importfile.FormatHydra, Environment: "sandbox"})
			if err != nil || len(rows) != 1 || rows[0].Path != "items[0]" || !strings.Contains(rows[0].Problem, tc.want) {
				t.Fatalf("rows = %+v, %v; want a problem naming %q", rows, err, tc.want)
			}
		})
	}
}
