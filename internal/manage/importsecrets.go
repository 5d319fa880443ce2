package manage

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// importedSecrets returns the secrets a new imported client starts with:
// its current secret (none for a client that authenticates with public
// keys only) and, while it has not expired, its rotated-out one. note says
// what was left out; reason is why the row is refused.
func (s *Service) importedSecrets(r *ImportClient, secret string) (list []gatehouse.Secret, note, reason string) {
	if secret == "" && r.SecretHash == "" {
		return nil, "", ""
	}
	cur, reason := s.importedSecret(secret, r.SecretHash)
	if reason != "" {
		return nil, "", reason
	}
	list = []gatehouse.Secret{cur}
	now := s.now().UTC()
	switch {
	case r.RotatedSecret == "":
	case r.RotatedSecret == secret:
		note = "the rotated secret is the current one"
	case r.RotatedExpires.IsZero():
		note = "the rotated secret has no expiry and was left out"
	case !now.Before(r.RotatedExpires):
		note = fmt.Sprintf("the rotated secret expired at %s and was left out", r.RotatedExpires.UTC().Format("2006-01-02 15:04:05Z"))
	default:
		old, reason := s.importedSecret(r.RotatedSecret, "")
		if reason != "" {
			return nil, "", "rotated secret: " + reason
		}
		old.ExpiresAt = r.RotatedExpires.UTC()
		list = append(list, old)
		note = fmt.Sprintf("the rotated secret works until %s", old.ExpiresAt.Format("2006-01-02 15:04:05Z"))
	}
	return list, note, ""
}

// bringInLine changes an existing client into what an import row asks for,
// leaving its secrets alone, and reports whether anything changed. Fields
// the row's source does not carry (audiences, public keys, token lifetime)
// are kept.
func bringInLine(have, want *gatehouse.Client, r *ImportClient) bool {
	changed := have.Name != want.Name || have.AccountID != want.AccountID ||
		!slices.Equal(have.Scopes, want.Scopes) || !slices.Equal(have.AllowedCIDRs, want.AllowedCIDRs)
	have.Name, have.AccountID, have.Scopes, have.AllowedCIDRs = want.Name, want.AccountID, want.Scopes, want.AllowedCIDRs
	if r.Audiences != nil && !slices.Equal(have.Audiences, want.Audiences) {
		have.Audiences, changed = want.Audiences, true
	}
	if (want.JWKS != "" || want.PublicKeyPEM != "") && (have.JWKS != want.JWKS || have.PublicKeyPEM != want.PublicKeyPEM) {
		have.JWKS, have.PublicKeyPEM, changed = want.JWKS, want.PublicKeyPEM, true
	}
	if want.Tokens.Lifetime != nil && (have.Tokens.Lifetime == nil || *have.Tokens.Lifetime != *want.Tokens.Lifetime) {
		have.Tokens.Lifetime, changed = want.Tokens.Lifetime, true
	}
	if changed {
		have.UpdatedAt = want.UpdatedAt
	}
	return changed
}

// joinNotes joins the non-empty notes of a row's report.
func joinNotes(notes ...string) string {
	var out []string
	for _, n := range notes {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, "; ")
}
