package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Modes of a run.
const (
	ModeToken      = "token"      // load the token endpoint
	ModeIntrospect = "introspect" // load the introspection endpoint with one valid token
)

// introspectTarget prepares an introspection run: it fetches one token from
// the token endpoint, checks that it introspects as active, and returns the
// introspection URL (the token URL + "/introspect", as in Keycloak's layout)
// and the form to send, authenticated as the same client.
func introspectTarget(ctx context.Context, c *http.Client, cfg Config, tokenForm url.Values, authHeader string) (string, string, error) {
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := post(ctx, c, cfg.TokenURL, tokenForm.Encode(), authHeader, &tok); err != nil {
		return "", "", fmt.Errorf("fetch a token to introspect: %w", err)
	}
	form := url.Values{"token": {tok.AccessToken}}
	if cfg.AuthStyle == "post" {
		form.Set("client_id", cfg.ClientID)
		form.Set("client_secret", cfg.ClientSecret)
	}
	target := strings.TrimSuffix(cfg.TokenURL, "/") + "/introspect"
	var res struct {
		Active bool `json:"active"`
	}
	if err := post(ctx, c, target, form.Encode(), authHeader, &res); err != nil {
		return "", "", fmt.Errorf("introspect: %w", err)
	}
	if !res.Active {
		return "", "", fmt.Errorf("the token fetched from %s does not introspect as active", cfg.TokenURL)
	}
	return target, form.Encode(), nil
}

// post sends a form and decodes a 200 JSON answer into out.
func post(ctx context.Context, c *http.Client, target, body, authHeader string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if authHeader != "" {
		req.Header.Set("Authorization", authHeader)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return json.Unmarshal(b, out)
}
