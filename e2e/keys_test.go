package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/testenv"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// fetchSignedToken gets a token with client_secret_basic, retrying while the
// server's cache catches up with a moved clock, and returns it with the kid
// that signed it.
func fetchSignedToken(t *testing.T, s *server, env string, c *wire.ClientWithSecret) (token, kid string) {
	t.Helper()
	eventually(t, 2*time.Second, func() error {
		resp := postForm(t, s.tokenURL(env), url.Values{"grant_type": {"client_credentials"}}, c.ClientID, c.ClientSecret)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		var body struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return err
		}
		token = body.AccessToken
		return nil
	})
	head, _, _ := strings.Cut(token, ".")
	b, _ := base64.RawURLEncoding.DecodeString(head)
	var h struct {
		Kid string `json:"kid"`
		Alg string `json:"alg"`
	}
	json.Unmarshal(b, &h)
	return token, h.Kid
}

// jwksKids returns the kids an environment's JWKS publishes.
func jwksKids(t *testing.T, s *server, env string) []string {
	t.Helper()
	resp, err := http.Get(s.URL + "/realms/" + env + "/protocol/openid-connect/certs")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// verifyWithGoOIDC verifies token with go-oidc through the environment's
// discovery document, at the server's clock.
func verifyWithGoOIDC(t *testing.T, s *server, env, token string, now func() time.Time) error {
	t.Helper()
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, s.URL+"/realms/"+env)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	_, err = provider.Verifier(&oidc.Config{SkipClientIDCheck: true, Now: now}).Verify(ctx, token)
	return err
}

// TestSigningKeyRotationEndToEnd rotates the sandbox key to EdDSA and the
// production key to RS256 through the admin API and moves the server's
// clock along the timeline: the next key is published before it signs,
// signs after the publication delay, and the retired key verifies tokens
// until every one it signed has expired, then leaves the JWKS. go-oidc
// verifies tokens of every algorithm through discovery.
func TestSigningKeyRotationEndToEnd(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ env, alg string }{{"sandbox", "EdDSA"}, {"production", "RS256"}} {
		t.Run("rotating "+tc.env+" to "+tc.alg, func(t *testing.T) {
			clock := &testClock{t: time.Now()}
			s := startServerWith(t, app.Config{}, func(m *app.Main) { m.Now = clock.Now })
			cfg := s.main.Config
			c := s.createClient(t, wire.CreateClientRequest{Environment: tc.env})
			before, err := s.Admin.SigningKeys(ctx, tc.env)
			if err != nil || len(before.Items) != 1 || before.Items[0].State != "active" {
				t.Fatalf("keys before rotation: %+v, %v", before, err)
			}
			old := before.Items[0].KeyID

			res, err := s.Admin.RotateSigningKey(ctx, tc.env, tc.alg)
			if err != nil {
				t.Fatalf("rotate: %v", err)
			}
			next := res.Key
			if next.State != "next" || next.Algorithm != tc.alg || next.ActivatesAt == nil ||
				!next.ActivatesAt.Equal(next.CreatedAt.Add(cfg.SigningKeys.PublicationDelay)) {
				t.Fatalf("rotation answered %+v", next)
			}
			if kids := jwksKids(t, s, tc.env); !slices.Contains(kids, next.KeyID) || !slices.Contains(kids, old) {
				t.Fatalf("JWKS %v right after the rotation, want %s and %s", kids, old, next.KeyID)
			}
			oldToken, kid := fetchSignedToken(t, s, tc.env, c)
			if kid != old {
				t.Fatalf("token signed by %s before the publication delay, want %s", kid, old)
			}
			if _, err := s.Admin.RotateSigningKey(ctx, tc.env, ""); !isConflict(err) {
				t.Fatalf("a second rotation while one is under way: %v, want 409", err)
			}

			clock.Add(cfg.SigningKeys.PublicationDelay)
			if err := s.main.AdvanceSigningKeys(ctx); err != nil {
				t.Fatal(err)
			}
			newToken, kid := fetchSignedToken(t, s, tc.env, c)
			if kid != next.KeyID {
				t.Fatalf("token signed by %s after the delay, want %s", kid, next.KeyID)
			}
			if err := verifyWithGoOIDC(t, s, tc.env, newToken, clock.Now); err != nil {
				t.Fatalf("go-oidc refused the %s token: %v", tc.alg, err)
			}

			after, err := s.Admin.SigningKeys(ctx, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			var retired *adminclient.SigningKey
			for i := range after.Items {
				if after.Items[i].KeyID == old {
					retired = &after.Items[i]
				}
			}
			if retired == nil || retired.State != "retired" || retired.RemoveAt == nil {
				t.Fatalf("old key after promotion: %+v", retired)
			}
			// The Lemonway dialect (on by default) gives 90-day tokens, so the
			// retired key stays published for at least that long.
			if kept := retired.RemoveAt.Sub(clock.Now()); kept < 90*24*time.Hour {
				t.Fatalf("retired key is kept %s, less than the 90 days a Lemonway-dialect token lives", kept)
			}
			// Clock moved an hour, so the 5-minute token signed by the old key
			// is expired for real verifiers; check it at its issue time.
			issued := clock.Now().Add(-cfg.SigningKeys.PublicationDelay)
			if err := verifyWithGoOIDC(t, s, tc.env, oldToken, func() time.Time { return issued }); err != nil {
				t.Fatalf("go-oidc refused a token of the retired key while it is published: %v", err)
			}

			clock.Add(retired.RemoveAt.Sub(clock.Now()))
			if err := s.main.AdvanceSigningKeys(ctx); err != nil {
				t.Fatal(err)
			}
			if kids := jwksKids(t, s, tc.env); slices.Contains(kids, old) || !slices.Contains(kids, next.KeyID) {
				t.Fatalf("JWKS %v at the retired key's RemoveAt, want only %s", kids, next.KeyID)
			}
		})
	}
}

func isConflict(err error) bool {
	var e *adminclient.Error
	return errors.As(err, &e) && e.Status == http.StatusConflict
}

// TestConcurrentRotationsOnTwoReplicas starts a rotation on two servers of
// one PostgreSQL schema at once: exactly one next key is created, and the
// other replica answers 409.
func TestConcurrentRotationsOnTwoReplicas(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	cfg := app.Config{Database: dsn, PublicURL: "https://auth.example.com"}
	a := startServer(t, cfg)
	b := startServer(t, cfg)
	apis := []*adminclient.API{a.Admin, adminclient.New(b.URL, a.AdminKey, nil)}
	ctx := context.Background()
	for round := range 3 {
		env := []string{"sandbox", "production", "admin"}[round]
		errs := make([]error, 2*len(apis))
		var wg sync.WaitGroup
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = apis[i%2].RotateSigningKey(ctx, env, "") }()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !isConflict(err):
				t.Errorf("rotate %s: %v, want success or 409", env, err)
			}
		}
		list, err := a.Admin.SigningKeys(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		next := 0
		for _, k := range list.Items {
			if k.State == "next" {
				next++
			}
		}
		if ok != 1 || next != 1 {
			t.Fatalf("%s: %d of %d concurrent rotations succeeded and %d next keys exist; want 1 and 1", env, ok, len(errs), next)
		}
	}
}

// TestRotationUsesTheEnvironmentsAlgorithm creates an EdDSA environment and
// rotates it without naming an algorithm: the new key is EdDSA too, and its
// tokens verify with go-oidc through discovery.
func TestRotationUsesTheEnvironmentsAlgorithm(t *testing.T) {
	clock := &testClock{t: time.Now()}
	s := startServerWith(t, app.Config{}, func(m *app.Main) { m.Now = clock.Now })
	ctx := context.Background()
	if _, err := s.Admin.CreateEnvironment(ctx, wire.CreateEnvironmentRequest{Name: "edwards", SigningAlgorithm: "EdDSA"}); err != nil {
		t.Fatalf("create environment: %v", err)
	}
	c := s.createClient(t, wire.CreateClientRequest{Environment: "edwards"})
	tok, _ := fetchSignedToken(t, s, "edwards", c)
	if err := verifyWithGoOIDC(t, s, "edwards", tok, clock.Now); err != nil {
		t.Fatalf("go-oidc refused a token of the new EdDSA environment: %v", err)
	}
	res, err := s.Admin.RotateSigningKey(ctx, "edwards", "")
	if err != nil || res.Key.Algorithm != "EdDSA" {
		t.Fatalf("rotation without an algorithm: %+v, %v; want an EdDSA key", res, err)
	}
	clock.Add(s.main.Config.SigningKeys.PublicationDelay)
	if err := s.main.AdvanceSigningKeys(ctx); err != nil {
		t.Fatal(err)
	}
	tok, kid := fetchSignedToken(t, s, "edwards", c)
	if kid != res.Key.KeyID {
		t.Fatalf("token signed by %s, want the rotated key %s", kid, res.Key.KeyID)
	}
	if err := verifyWithGoOIDC(t, s, "edwards", tok, clock.Now); err != nil {
		t.Fatalf("go-oidc refused a token of the rotated EdDSA key: %v", err)
	}
}
