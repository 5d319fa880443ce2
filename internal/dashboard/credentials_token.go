package dashboard

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// decodedToken is a test token as the credentials page shows it: the token
// itself, and its header (JWT only) and claims as indented JSON.
type decodedToken struct {
	Token  string
	Header string // "" for an opaque token, whose header is sealed
	Claims string
}

// decodeToken shows a token: a JWT's header and claims come from the token
// itself; an opaque token's claims are the ones the issuer verified.
func decodeToken(token string, verifiedClaims any) (decodedToken, error) {
	d := decodedToken{Token: token}
	if parts := strings.Split(token, "."); len(parts) == 3 {
		h, err := decodeSegment(parts[0])
		if err != nil {
			return d, fmt.Errorf("token header: %w", err)
		}
		c, err := decodeSegment(parts[1])
		if err != nil {
			return d, fmt.Errorf("token claims: %w", err)
		}
		d.Header, d.Claims = h, c
		return d, nil
	}
	b, err := json.MarshalIndent(verifiedClaims, "", "  ")
	if err != nil {
		return d, fmt.Errorf("token claims: %w", err)
	}
	d.Claims = string(b)
	return d, nil
}

// decodeSegment decodes one base64url part of a JWT and indents its JSON.
func decodeSegment(s string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return "", err
	}
	return out.String(), nil
}
