package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// rawAnswer is what a client sees of an answer: status, body and headers
// (but Date, which differs from one second to the next).
type rawAnswer struct {
	status int
	header http.Header
	body   string
}

// rawRequest is a POST built from raw parts.
type rawRequest struct {
	target string
	header map[string]string
	body   string
}

func sendRaw(t *testing.T, r rawRequest) rawAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.target, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	resp.Header.Del("Date")
	return rawAnswer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func (a rawAnswer) same(b rawAnswer) bool {
	if a.status != b.status || a.body != b.body || len(a.header) != len(b.header) {
		return false
	}
	for k, v := range a.header {
		if !slices.Equal(v, b.header[k]) {
			return false
		}
	}
	return true
}

// TestMustRotateClientIsRefusedLikeAWrongSecret imports a client without
// its secret (must_rotate) next to one with a secret: at the Keycloak-,
// Lengow- and Lemonway-style endpoints any secret of the must-rotate client
// gets, byte for byte, the answer of a wrong secret of the other; the
// metrics count the refusals as must_rotate and the audit log says so;
// the admin API shows must_rotate until a rotation issues a secret, which
// then works.
func TestMustRotateClientIsRefusedLikeAWrongSecret(t *testing.T) {
	s := startServer(t, app.Config{})
	ctx := context.Background()
	file := "client_id,secret,account,environment,scopes,must_rotate\n" +
		"known-svc," + importedSecret + ",Acme,sandbox,ledger:read,\n" +
		"hydra-svc,,Acme,sandbox,ledger:read,true\n"
	if rep := importFile(t, s, file, true); !rep.Applied || rep.Created != 2 {
		t.Fatalf("import = %+v", rep)
	}
	c, err := s.Admin.Client(ctx, "hydra-svc")
	if err != nil || !c.MustRotate || len(c.Secrets) != 0 {
		t.Fatalf("imported client = %+v, %v; want must_rotate with no secret", c, err)
	}
	if known, _ := s.Admin.Client(ctx, "known-svc"); known == nil || known.MustRotate {
		t.Fatalf("the client imported with its secret = %+v", known)
	}

	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
	}
	keycloak := s.URL + "/auth/realms/sandbox/protocol/openid-connect/token"
	dialects := []struct {
		name    string
		request func(id, secret string) rawRequest
	}{
		{"Keycloak-style, secret in the body", func(id, secret string) rawRequest {
			return rawRequest{keycloak, curlData, "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret}
		}},
		{"Keycloak-style, Basic", func(id, secret string) rawRequest {
			h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic(id, secret)}
			return rawRequest{keycloak, h, "grant_type=client_credentials"}
		}},
		{"Lengow-style", func(id, secret string) rawRequest {
			return rawRequest{s.URL + "/access/get_token", map[string]string{"Content-Type": "application/json"},
				`{"access_token":"` + id + `","secret":"` + secret + `"}`}
		}},
		{"Lemonway-style", func(id, secret string) rawRequest {
			return rawRequest{s.URL + "/oauth/api/v1/oauth/token", lemonwayHeaders("basic " + strings.TrimPrefix(basic(id, secret), "Basic ")),
				"Grant_type=client_credentials"}
		}},
	}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			wrong := sendRaw(t, d.request("known-svc", "wrong"+importedSecret))
			if wrong.status != 401 {
				t.Fatalf("a wrong secret: %+v", wrong)
			}
			for _, secret := range []string{importedSecret, "anything-at-all"} {
				if got := sendRaw(t, d.request("hydra-svc", secret)); !got.same(wrong) {
					t.Fatalf("must-rotate client:\n%+v\nwrong secret:\n%+v", got, wrong)
				}
			}
		})
	}

	if n := metric(t, s, `gatehouse_token_requests_total{dialect="standard",environment="sandbox",outcome="must_rotate"}`); n != 4 {
		t.Fatalf("%v standard requests counted must_rotate, want 4", n)
	}
	events := auditEvents(t, s, adminclient.AuditQuery{Object: "client:hydra-svc"}, 8)
	refusals := 0
	for _, e := range events {
		if strings.HasPrefix(e.Detail, "must_rotate:") {
			refusals++
		}
	}
	if refusals != 8 {
		t.Fatalf("%d audit events say must_rotate, want 8: %+v", refusals, events)
	}

	rotated, err := s.Admin.RotateClientSecret(ctx, "hydra-svc", 0)
	if err != nil || rotated.ClientSecret == "" || rotated.MustRotate {
		t.Fatalf("rotate = %+v, %v", rotated, err)
	}
	resp, body := send(t, http.MethodPost, keycloak, curlData, "grant_type=client_credentials&client_id=hydra-svc&client_secret="+rotated.ClientSecret)
	if resp.StatusCode != 200 || body["access_token"] == nil {
		t.Fatalf("the new secret: %d %v", resp.StatusCode, body)
	}
	if c, _ := s.Admin.Client(ctx, "hydra-svc"); c == nil || c.MustRotate {
		t.Fatalf("after the rotation: %+v", c)
	}
	if again := importFile(t, s, file, true); again.Skipped != 2 || again.Created+again.Updated != 0 {
		t.Fatalf("a second run = %+v", again)
	}
	if c, _ := s.Admin.Client(ctx, "hydra-svc"); c == nil || c.MustRotate || len(c.Secrets) != 1 {
		t.Fatalf("a second run of the import changed the rotated client: %+v", c)
	}
}

// TestSlowHashBudgetRefusesLikeAWrongSecret floods wrong secrets at a client
// whose secret is under an imported bcrypt hash: past the per-client budget
// (2 an hour here) they are refused without the hash being computed, with
// the very answer of a wrong secret, and counted; the right secret, already
// remembered, still works, and other clients are untouched.
func TestSlowHashBudgetRefusesLikeAWrongSecret(t *testing.T) {
	s := startServer(t, app.Config{Protection: app.ProtectionConfig{
		SlowHashPerClient: app.Threshold{Count: 2, Window: time.Hour},
		BruteForce:        app.Threshold{Count: 1000, Window: time.Minute},
	}})
	// A weak secret stays under bcrypt (a strong one would be re-hashed to
	// SHA-256 on first use, and cost no slow hash after that).
	const weak = "weak-secret-1"
	file := "client_id,secret_hash,account,environment\n" +
		"bcrypt-svc," + mustBcrypt(t, weak) + ",Acme,sandbox\n" +
		"other-svc," + mustBcrypt(t, weak) + ",Acme,sandbox\n"
	if rep := importFile(t, s, file, true); !rep.Applied {
		t.Fatalf("import = %+v", rep)
	}
	keycloak := s.URL + "/realms/sandbox/protocol/openid-connect/token"
	form := func(id, secret string) rawRequest {
		return rawRequest{keycloak, curlData, "grant_type=client_credentials&client_id=" + id + "&client_secret=" + secret}
	}
	if a := sendRaw(t, form("bcrypt-svc", weak)); a.status != 200 {
		t.Fatalf("the right secret (one slow hash): %+v", a)
	}
	wrong := sendRaw(t, form("bcrypt-svc", "wrong-1")) // the second slow hash
	if wrong.status != 401 {
		t.Fatalf("a wrong secret: %+v", wrong)
	}
	const refused = `gatehouse_slow_hash_refused_total{budget="client"}`
	if n := metric(t, s, refused); n != 0 {
		t.Fatalf("%v refusals within the budget", n)
	}
	for i := range 5 {
		if got := sendRaw(t, form("bcrypt-svc", fmt.Sprintf("wrong-%d", i+2))); !got.same(wrong) {
			t.Fatalf("past the budget:\n%+v\nwithin it:\n%+v", got, wrong)
		}
	}
	if n := metric(t, s, refused); n != 5 {
		t.Fatalf("%v refusals past the budget, want 5", n)
	}
	if a := sendRaw(t, form("bcrypt-svc", weak)); a.status != 200 {
		t.Fatalf("the remembered right secret past the budget: %+v", a)
	}
	if a := sendRaw(t, form("other-svc", weak)); a.status != 200 {
		t.Fatalf("another client past the first one's budget: %+v", a)
	}
}
