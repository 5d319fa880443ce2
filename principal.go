package gatehouse

// Principal is who made an authenticated request: a client of some
// environment with the scopes its token (or credential) grants.
type Principal struct {
	ClientID    string
	Environment string
	AccountID   int64
	Scopes      []string
}

// HasScope reports whether the principal was granted scope.
func (p *Principal) HasScope(scope string) bool { return p != nil && contains(p.Scopes, scope) }
