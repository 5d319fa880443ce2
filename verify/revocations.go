package verify

import "time"

// revocations is what the feed has said is revoked, by expiry time (Unix
// seconds). A value is immutable once published; updates build a new one.
type revocations struct {
	tokens  map[string]int64 // jti
	clients map[string]int64 // client id
	secrets map[int64]int64  // secret id
}

// has reports whether c's token, client or secret is revoked.
func (r *revocations) has(c *Claims, now time.Time) bool {
	if len(r.tokens)+len(r.clients)+len(r.secrets) == 0 {
		return false
	}
	if _, ok := r.tokens[c.ID]; ok && c.ID != "" {
		return true
	}
	if _, ok := r.clients[c.ClientID]; ok {
		return true
	}
	if c.SecretID != 0 {
		if _, ok := r.secrets[c.SecretID]; ok {
			return true
		}
	}
	return false
}

// merged returns r plus the entries of an event, without the entries that
// have expired.
func (r *revocations) merged(ev *feedEvent, now time.Time) *revocations {
	n := now.Unix()
	next := &revocations{
		tokens:  make(map[string]int64, len(r.tokens)+len(ev.Tokens)),
		clients: make(map[string]int64, len(r.clients)+len(ev.Clients)),
		secrets: make(map[int64]int64, len(r.secrets)+len(ev.Secrets)),
	}
	for k, exp := range r.tokens {
		if exp > n {
			next.tokens[k] = exp
		}
	}
	for k, exp := range r.clients {
		if exp > n {
			next.clients[k] = exp
		}
	}
	for k, exp := range r.secrets {
		if exp > n {
			next.secrets[k] = exp
		}
	}
	for _, t := range ev.Tokens {
		if t.ExpiresAt > n {
			next.tokens[t.ID] = t.ExpiresAt
		}
	}
	for _, c := range ev.Clients {
		if c.ExpiresAt > n {
			next.clients[c.ID] = c.ExpiresAt
		}
	}
	for _, s := range ev.Secrets {
		if id, ok := parseSecretID(s.ID); ok && s.ExpiresAt > n {
			next.secrets[id] = s.ExpiresAt
		}
	}
	return next
}

// parseSecretID reads a secret id in decimal.
func parseSecretID(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(s[i]-'0')
	}
	return n, true
}
