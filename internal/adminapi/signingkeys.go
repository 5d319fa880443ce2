package adminapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	signingkeys "github.com/gatehouse-dev/gatehouse/internal/keys"
)

// listSigningKeys serves GET /admin/v1/environments/{env}/keys: the public
// halves of the environment's keys with their place in the rotation.
func (h *Handler) listSigningKeys(w http.ResponseWriter, r *http.Request, _ *gatehouse.Principal) error {
	env, err := h.signingKeyEnvironment(r)
	if err != nil {
		return err
	}
	list, err := h.signingKeyList(r, env)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// rotateSigningKey serves POST /admin/v1/environments/{env}/keys/rotate with
// an optional body {"algorithm":"EdDSA","now":false}: it publishes a next
// key, which signs after the publication delay (409 while a rotation is
// under way); with "now" the new key signs at once.
func (h *Handler) rotateSigningKey(w http.ResponseWriter, r *http.Request, _ *gatehouse.Principal) error {
	var req wire.RotateKeysRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		return err
	}
	env, err := h.signingKeyEnvironment(r)
	if err != nil {
		return err
	}
	if req.Algorithm != "" {
		if err := gatehouse.ValidateSigningAlgorithm(req.Algorithm); err != nil {
			return err
		}
	}
	ctx := r.Context()
	rotate := h.keyRotator.Rotate
	if req.Now {
		rotate = h.keyRotator.RotateNow
	}
	k, err := rotate(ctx, env, req.Algorithm)
	if err != nil {
		if c := gatehouse.ErrorCode(err); c == gatehouse.ECONFLICT || c == gatehouse.ENOTFOUND || c == gatehouse.EINVALID {
			return err
		}
		return fmt.Errorf("rotate signing key of %s: %w", env, err)
	}
	h.refresh(ctx)
	out := wire.RotateKeysResponse{}
	if out.Key, err = h.signingKeyJSON(k); err != nil {
		return err
	}
	list, err := h.signingKeyList(r, env)
	if err != nil {
		return err
	}
	out.Keys = *list
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// revokeSigningKey serves POST /admin/v1/environments/{env}/keys/{kid}/revoke:
// the key leaves the JWKS at once and every token it signed is inactive.
// 409 for the active key (rotate with "now" first).
func (h *Handler) revokeSigningKey(w http.ResponseWriter, r *http.Request, _ *gatehouse.Principal) error {
	return h.changeSigningKey(w, r, h.keyRotator.Revoke)
}

// cancelSigningKey serves DELETE /admin/v1/environments/{env}/keys/{kid}: it
// cancels a pending rotation by deleting its next key, which never signed.
// 409 for a key that is not next.
func (h *Handler) cancelSigningKey(w http.ResponseWriter, r *http.Request, _ *gatehouse.Principal) error {
	return h.changeSigningKey(w, r, h.keyRotator.CancelNext)
}

// changeSigningKey applies change to the {env}/{kid} key and answers with
// the environment's keys after it.
func (h *Handler) changeSigningKey(w http.ResponseWriter, r *http.Request, change func(ctx context.Context, env, kid string) error) error {
	env, err := h.signingKeyEnvironment(r)
	if err != nil {
		return err
	}
	kid := r.PathValue("kid")
	ctx := r.Context()
	if err := change(ctx, env, kid); err != nil {
		if c := gatehouse.ErrorCode(err); c == gatehouse.ECONFLICT || c == gatehouse.ENOTFOUND || c == gatehouse.EINVALID {
			return err
		}
		return fmt.Errorf("signing key %s/%s: %w", env, kid, err)
	}
	h.refresh(ctx)
	list, err := h.signingKeyList(r, env)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// signingKeyEnvironment returns the {env} path parameter of an existing
// environment.
func (h *Handler) signingKeyEnvironment(r *http.Request) (string, error) {
	name := r.PathValue("env")
	if !gatehouse.ValidEnvironmentName(name) {
		return "", gatehouse.Errorf(gatehouse.ENOTFOUND, "environment %q not found", name)
	}
	if _, err := h.store.Environment(r.Context(), name); err != nil {
		return "", lookupError(err, fmt.Sprintf("environment %q", name))
	}
	return name, nil
}

func (h *Handler) signingKeyList(r *http.Request, env string) (*wire.SigningKeyList, error) {
	stored, err := h.store.SigningKeys(r.Context(), env)
	if err != nil {
		return nil, fmt.Errorf("list signing keys of %s: %w", env, err)
	}
	out := &wire.SigningKeyList{Environment: env, Items: make([]wire.SigningKey, 0, len(stored))}
	for _, k := range stored {
		wk, err := h.signingKeyJSON(k)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, wk)
	}
	return out, nil
}

// signingKeyJSON shows a key: its public half only, never the private key.
func (h *Handler) signingKeyJSON(k *gatehouse.SigningKey) (wire.SigningKey, error) {
	parsed, err := signingkeys.Parse(k)
	if err != nil {
		return wire.SigningKey{}, fmt.Errorf("signing key %s/%s: %w", k.Environment, k.ID, err)
	}
	jwk, err := json.Marshal(parsed.PublicJWK())
	if err != nil {
		return wire.SigningKey{}, fmt.Errorf("signing key %s/%s: %w", k.Environment, k.ID, err)
	}
	out := wire.SigningKey{KeyID: k.ID, Algorithm: k.Algorithm, State: k.State, CreatedAt: k.CreatedAt.UTC(), PublicJWK: jwk}
	if k.State == gatehouse.KeyNext {
		t := h.keyRotator.ActivatesAt(k).UTC()
		out.ActivatesAt = &t
	}
	if !k.RemoveAt.IsZero() {
		t := k.RemoveAt.UTC()
		out.RemoveAt = &t
	}
	if !k.RevokedAt.IsZero() {
		t := k.RevokedAt.UTC()
		out.RevokedAt = &t
	}
	return out, nil
}
