package httpapi

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// metadata is the discovery document: OpenID Connect Discovery 1.0 and
// RFC 8414 authorization server metadata. Gatehouse serves only the client
// credentials grant, so there is no authorization endpoint and
// response_types_supported is empty.
type metadata struct {
	Issuer                           string   `json:"issuer"`
	TokenEndpoint                    string   `json:"token_endpoint"`
	JWKSURI                          string   `json:"jwks_uri"`
	IntrospectionEndpoint            string   `json:"introspection_endpoint"`
	RevocationEndpoint               string   `json:"revocation_endpoint"`
	GrantTypesSupported              []string `json:"grant_types_supported"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	TokenEndpointAuthMethods         []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethods []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethods    []string `json:"revocation_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgs     []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	IntrospectionAuthSigningAlgs     []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
	RevocationAuthSigningAlgs        []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	AccessTokenSigningAlgValues      []string `json:"access_token_signing_alg_values_supported"`
	ScopesSupported                  []string `json:"scopes_supported,omitempty"`
	TLSClientCertificateBoundTokens  bool     `json:"tls_client_certificate_bound_access_tokens"`
	ClaimsSupported                  []string `json:"claims_supported"`
	// RevocationFeed is Gatehouse's own stream of revocations
	// (docs/revocation-feed.md); absent when the server does not serve it.
	RevocationFeed string `json:"gatehouse_revocation_feed_endpoint,omitempty"`
}

// discovery serves the metadata of an environment.
func (s *server) discovery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD")
		return
	}
	env, oerr := s.issuer.Environment(r.PathValue("env"))
	if oerr != nil {
		writeOAuthError(w, oerr, "")
		return
	}
	iss := s.issuer.IssuerURL(env.Name)
	auth := []string{tokens.AuthClientSecretBasic, tokens.AuthClientSecretPost, tokens.AuthPrivateKeyJWT}
	assertionAlgs := gatehouse.AssertionAlgorithms
	algs := env.Keys.Algorithms()
	md := metadata{
		Issuer:                           iss,
		TokenEndpoint:                    iss + "/protocol/openid-connect/token",
		JWKSURI:                          iss + "/protocol/openid-connect/certs",
		IntrospectionEndpoint:            iss + "/protocol/openid-connect/token/introspect",
		RevocationEndpoint:               iss + "/protocol/openid-connect/revoke",
		GrantTypesSupported:              []string{tokens.GrantClientCredentials},
		ResponseTypesSupported:           []string{},
		SubjectTypesSupported:            []string{"public"},
		TokenEndpointAuthMethods:         auth,
		IntrospectionEndpointAuthMethods: auth,
		RevocationEndpointAuthMethods:    auth,
		TokenEndpointAuthSigningAlgs:     assertionAlgs,
		IntrospectionAuthSigningAlgs:     assertionAlgs,
		RevocationAuthSigningAlgs:        assertionAlgs,
		IDTokenSigningAlgValuesSupported: algs,
		AccessTokenSigningAlgValues:      algs,
		ClaimsSupported:                  []string{"iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "account_id"},
	}
	if s.feed.Hub != nil {
		md.RevocationFeed = iss + revocationFeedPath
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Type", "application/json")
	writeBody(w, md)
}

// jwks serves the environment's published keys.
func (s *server) jwks(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD")
		return
	}
	env, oerr := s.issuer.Environment(r.PathValue("env"))
	if oerr != nil {
		writeOAuthError(w, oerr, "")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/jwk-set+json")
	h.Set("Cache-Control", "public, max-age=60")
	w.Write(env.Keys.JWKS())
}
