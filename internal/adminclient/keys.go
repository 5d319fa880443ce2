package adminclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// The admin API's JSON shapes for client keys and signing keys.
type (
	SetClientKeysRequest = wire.SetClientKeysRequest
	SigningKey           = wire.SigningKey
	SigningKeyList       = wire.SigningKeyList
	RotateKeysResponse   = wire.RotateKeysResponse
)

// SetClientKeys replaces the public keys a client signs private_key_jwt
// assertions with; an empty request removes them.
func (c *API) SetClientKeys(ctx context.Context, id string, req SetClientKeysRequest) (*Client, error) {
	return call[Client](ctx, c, http.MethodPut, "/clients/"+url.PathEscape(id)+"/keys", nil, req)
}

// SigningKeys returns an environment's signing keys, oldest first.
func (c *API) SigningKeys(ctx context.Context, env string) (*SigningKeyList, error) {
	return call[SigningKeyList](ctx, c, http.MethodGet, "/environments/"+url.PathEscape(env)+"/keys", nil, nil)
}

// RotateSigningKey starts a rotation of env's signing key: a new key is
// published at once and starts signing after the server's publication
// delay. alg ("" for the environment's algorithm) picks the new key's
// algorithm.
func (c *API) RotateSigningKey(ctx context.Context, env, alg string) (*RotateKeysResponse, error) {
	return call[RotateKeysResponse](ctx, c, http.MethodPost, "/environments/"+url.PathEscape(env)+"/keys/rotate", nil,
		wire.RotateKeysRequest{Algorithm: alg})
}

// RotateSigningKeyNow replaces env's active signing key at once: the new
// key (of alg, "" for the environment's algorithm) signs from now on, the
// old one stays published until its tokens expire, and a pending next key
// is dropped. For emergencies: verifiers that cached the JWKS refuse the
// new key's tokens until they fetch it again.
func (c *API) RotateSigningKeyNow(ctx context.Context, env, alg string) (*RotateKeysResponse, error) {
	return call[RotateKeysResponse](ctx, c, http.MethodPost, "/environments/"+url.PathEscape(env)+"/keys/rotate", nil,
		wire.RotateKeysRequest{Algorithm: alg, Now: true})
}

// RevokeSigningKey revokes env's key kid: it leaves the JWKS at once and
// every token it signed is inactive. The active key cannot be revoked.
func (c *API) RevokeSigningKey(ctx context.Context, env, kid string) (*SigningKeyList, error) {
	return call[SigningKeyList](ctx, c, http.MethodPost,
		"/environments/"+url.PathEscape(env)+"/keys/"+url.PathEscape(kid)+"/revoke", nil, nil)
}

// CancelSigningKey cancels a pending rotation of env by deleting its next
// key kid.
func (c *API) CancelSigningKey(ctx context.Context, env, kid string) (*SigningKeyList, error) {
	return call[SigningKeyList](ctx, c, http.MethodDelete,
		"/environments/"+url.PathEscape(env)+"/keys/"+url.PathEscape(kid), nil, nil)
}
