package adminclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// The admin API's JSON shapes for environment settings, client updates,
// secret revocation and reveal.
type (
	TokenOverrides           = wire.TokenOverrides
	TokenSettingsPatch       = wire.TokenSettingsPatch
	UpdateEnvironmentRequest = wire.UpdateEnvironmentRequest
	CreateEnvironmentRequest = wire.CreateEnvironmentRequest
	UpdateClientRequest      = wire.UpdateClientRequest
	RevealedSecret           = wire.RevealedSecret
)

// CreateEnvironment creates an environment and its first signing key.
func (c *API) CreateEnvironment(ctx context.Context, req CreateEnvironmentRequest) (*Environment, error) {
	return call[Environment](ctx, c, http.MethodPost, "/environments", nil, req)
}

// UpdateEnvironment changes the settings present in req.
func (c *API) UpdateEnvironment(ctx context.Context, name string, req UpdateEnvironmentRequest) (*Environment, error) {
	return call[Environment](ctx, c, http.MethodPatch, "/environments/"+url.PathEscape(name), nil, req)
}

// UpdateClient changes the fields present in req.
func (c *API) UpdateClient(ctx context.Context, id string, req UpdateClientRequest) (*Client, error) {
	return call[Client](ctx, c, http.MethodPatch, "/clients/"+url.PathEscape(id), nil, req)
}

// RevokeClientSecret revokes one secret of a client: it stops working and
// every token issued with it becomes inactive.
func (c *API) RevokeClientSecret(ctx context.Context, id string, secretID int64) (*Client, error) {
	path := "/clients/" + url.PathEscape(id) + "/secrets/" + strconv.FormatInt(secretID, 10) + "/revoke"
	return call[Client](ctx, c, http.MethodPost, path, nil, nil)
}

// RevealClientSecret shows a client's newest secret again; the user with
// email re-authenticates with password.
func (c *API) RevealClientSecret(ctx context.Context, id, email, password string) (*RevealedSecret, error) {
	return call[RevealedSecret](ctx, c, http.MethodPost, "/clients/"+url.PathEscape(id)+"/reveal", nil,
		wire.RevealRequest{Email: email, Password: password})
}
