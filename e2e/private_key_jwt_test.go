package e2e

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionSigner signs client assertions (RFC 7523) for one client.
type assertionSigner struct {
	clientID string
	alg      jose.SignatureAlgorithm
	key      crypto.Signer
	kid      string
}

// assertion returns a fresh assertion for aud, valid for a minute.
func (a assertionSigner) assertion(t *testing.T, aud string) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	var signingKey any = a.key
	if a.kid != "" {
		signingKey = jose.JSONWebKey{Key: a.key, KeyID: a.kid}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: a.alg, Key: signingKey}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	now := time.Now()
	s, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: a.clientID, Subject: a.clientID, Audience: jwt.Audience{aud},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Minute)),
		ID: hex.EncodeToString(jti),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func publicKeyPEM(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// assertionForm is a token request authenticated by assertion.
func assertionForm(assertion string) url.Values {
	return url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {jwtBearer},
		"client_assertion":      {assertion},
	}
}

func oauthError(t *testing.T, resp *http.Response) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&e)
	return e.Error
}

// TestPrivateKeyJWTEndToEnd registers a PEM key through the admin API and
// gets tokens with assertions built by go-jose, over plain net/http and
// through golang.org/x/oauth2.
func TestPrivateKeyJWTEndToEnd(t *testing.T) {
	s := startServer(t, app.Config{})
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := s.createClient(t, wire.CreateClientRequest{Scopes: []string{"ledger:read"}, PublicKeyPEM: publicKeyPEM(t, priv.Public())})
	if c.PublicKeyPEM == "" {
		t.Fatalf("the created client does not show its PEM key: %+v", c.Client)
	}
	signer := assertionSigner{clientID: c.ClientID, alg: jose.EdDSA, key: priv}
	tokenURL := s.tokenURL("sandbox")
	ctx := context.Background()

	t.Run("discovery advertises private_key_jwt and its algorithms", func(t *testing.T) {
		resp, err := http.Get(s.URL + "/realms/sandbox/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var md struct {
			Methods []string `json:"token_endpoint_auth_methods_supported"`
			Algs    []string `json:"token_endpoint_auth_signing_alg_values_supported"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&md); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(md.Methods, "private_key_jwt") || !slices.Contains(md.Algs, "EdDSA") ||
			slices.Contains(md.Algs, "HS256") || slices.Contains(md.Algs, "none") {
			t.Fatalf("discovery: methods %v, algorithms %v", md.Methods, md.Algs)
		}
	})

	var accessToken string
	t.Run("an assertion gets a token over net/http, once", func(t *testing.T) {
		a := signer.assertion(t, tokenURL)
		resp := postForm(t, tokenURL, assertionForm(a), "", "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d (%s), want 200", resp.StatusCode, oauthError(t, resp))
		}
		var body struct {
			AccessToken string `json:"access_token"`
			Scope       string `json:"scope"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" || body.Scope != "ledger:read" {
			t.Fatalf("body %+v, %v", body, err)
		}
		accessToken = body.AccessToken
		replay := postForm(t, tokenURL, assertionForm(a), "", "")
		if replay.StatusCode != http.StatusUnauthorized || oauthError(t, replay) != "invalid_client" {
			t.Fatalf("replayed assertion: status %d, want 401 invalid_client", replay.StatusCode)
		}
	})

	t.Run("the /auth/realms token endpoint is an accepted audience", func(t *testing.T) {
		authURL := s.URL + "/auth/realms/sandbox/protocol/openid-connect/token"
		resp := postForm(t, authURL, assertionForm(signer.assertion(t, authURL)), "", "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d (%s), want 200", resp.StatusCode, oauthError(t, resp))
		}
	})

	t.Run("introspection accepts a client authenticated by assertion", func(t *testing.T) {
		form := assertionForm(signer.assertion(t, tokenURL))
		delete(form, "grant_type")
		form.Set("token", accessToken)
		resp := postForm(t, s.URL+"/realms/sandbox/protocol/openid-connect/token/introspect", form, "", "")
		var res struct {
			Active   bool   `json:"active"`
			ClientID string `json:"client_id"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK || !res.Active || res.ClientID != c.ClientID {
			t.Fatalf("introspection: status %d, %+v, %v", resp.StatusCode, res, err)
		}
	})

	t.Run("golang.org/x/oauth2 sends the assertion as an endpoint parameter", func(t *testing.T) {
		cc := clientcredentials.Config{
			ClientID: c.ClientID, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams,
			EndpointParams: url.Values{"client_assertion_type": {jwtBearer}, "client_assertion": {signer.assertion(t, s.URL+"/realms/sandbox")}},
		}
		tok, err := cc.Token(ctx)
		if err != nil || tok.AccessToken == "" {
			t.Fatalf("x/oauth2 token: %v", err)
		}
	})

	t.Run("an assertion with a second authentication method is invalid_request", func(t *testing.T) {
		withBasic := postForm(t, tokenURL, assertionForm(signer.assertion(t, tokenURL)), c.ClientID, c.ClientSecret)
		if withBasic.StatusCode != http.StatusBadRequest || oauthError(t, withBasic) != "invalid_request" {
			t.Fatalf("assertion + Basic: status %d, want 400 invalid_request", withBasic.StatusCode)
		}
		form := assertionForm(signer.assertion(t, tokenURL))
		form.Set("client_id", c.ClientID)
		form.Set("client_secret", c.ClientSecret)
		withSecret := postForm(t, tokenURL, form, "", "")
		if withSecret.StatusCode != http.StatusBadRequest || oauthError(t, withSecret) != "invalid_request" {
			t.Fatalf("assertion + client_secret: status %d, want 400 invalid_request", withSecret.StatusCode)
		}
	})

	t.Run("an unknown assertion type is invalid_client", func(t *testing.T) {
		form := assertionForm(signer.assertion(t, tokenURL))
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
		resp := postForm(t, tokenURL, form, "", "")
		if resp.StatusCode != http.StatusUnauthorized || oauthError(t, resp) != "invalid_client" {
			t.Fatalf("status %d, want 401 invalid_client", resp.StatusCode)
		}
	})

	t.Run("replacing the keys through the admin API retires the old key at once", func(t *testing.T) {
		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ec.Public(), KeyID: "ec-1", Use: "sig"}}})
		updated, err := s.Admin.SetClientKeys(ctx, c.ClientID, wire.SetClientKeysRequest{JWKS: set})
		if err != nil {
			t.Fatalf("set keys: %v", err)
		}
		if updated.PublicKeyPEM != "" || len(updated.JWKS) == 0 {
			t.Fatalf("after set-keys the client shows PEM %q, JWKS %s", updated.PublicKeyPEM, updated.JWKS)
		}
		old := postForm(t, tokenURL, assertionForm(signer.assertion(t, tokenURL)), "", "")
		if old.StatusCode != http.StatusUnauthorized {
			t.Fatalf("assertion signed with the replaced key: status %d, want 401", old.StatusCode)
		}
		next := assertionSigner{clientID: c.ClientID, alg: jose.ES256, key: ec, kid: "ec-1"}
		resp := postForm(t, tokenURL, assertionForm(next.assertion(t, tokenURL)), "", "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("assertion signed with the new key: status %d (%s), want 200", resp.StatusCode, oauthError(t, resp))
		}
		// The secret keeps working next to the keys.
		basic := postForm(t, tokenURL, url.Values{"grant_type": {"client_credentials"}}, c.ClientID, c.ClientSecret)
		if basic.StatusCode != http.StatusOK {
			t.Fatalf("client secret after registering keys: status %d, want 200", basic.StatusCode)
		}
	})

	t.Run("a private key is refused at registration", func(t *testing.T) {
		set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: priv, KeyID: "oops"}}})
		if _, err := s.Admin.SetClientKeys(ctx, c.ClientID, wire.SetClientKeysRequest{JWKS: set}); err == nil {
			t.Fatal("a private JWK was accepted")
		}
	})
}
