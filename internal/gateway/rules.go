package gateway

import (
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
)

// Rule is what a path prefix requires.
type Rule struct {
	// Path is a path prefix: "/ledger" matches /ledger and /ledger/…, not
	// /ledgers.
	Path string `yaml:"path"`
	// Scopes must all be granted to the token (besides the gateway's
	// required scopes).
	Scopes []string `yaml:"scopes"`
	// Methods, if any, are the only methods allowed; others get 405.
	Methods []string `yaml:"methods"`
}

// Rules are per-path rules; the longest matching prefix applies.
type Rules struct {
	List []Rule `yaml:"rules"`
	// DenyUnlisted refuses (404) paths no rule matches; otherwise they need
	// only the gateway's required scopes.
	DenyUnlisted bool `yaml:"deny_unlisted"`
}

// validate normalises the rules and checks them.
func (rs *Rules) validate() error {
	for i := range rs.List {
		r := &rs.List[i]
		if !strings.HasPrefix(r.Path, "/") {
			return fmt.Errorf("rule %d: path %q must start with /", i+1, r.Path)
		}
		if r.Path != "/" {
			r.Path = strings.TrimSuffix(path.Clean(r.Path), "/")
		}
		for j, m := range r.Methods {
			m = strings.ToUpper(strings.TrimSpace(m))
			if m == "" || strings.ContainsAny(m, " /") {
				return fmt.Errorf("rule %d: bad method %q", i+1, r.Methods[j])
			}
			r.Methods[j] = m
		}
		for _, s := range r.Scopes {
			if s == "" || strings.ContainsAny(s, " \"\\") {
				return fmt.Errorf("rule %d: bad scope %q", i+1, s)
			}
		}
	}
	// Longest prefix first, so the first match is the most specific.
	slices.SortStableFunc(rs.List, func(a, b Rule) int { return len(b.Path) - len(a.Path) })
	return nil
}

// match returns the rule for a request path, or nil.
func (rs *Rules) match(p string) *Rule {
	for i := range rs.List {
		r := &rs.List[i]
		if r.Path == "/" || p == r.Path || strings.HasPrefix(p, r.Path+"/") {
			return r
		}
	}
	return nil
}

// allows reports whether the rule allows method.
func (r *Rule) allows(method string) bool {
	if len(r.Methods) == 0 {
		return true
	}
	if method == http.MethodHead && slices.Contains(r.Methods, http.MethodGet) {
		return true
	}
	return slices.Contains(r.Methods, method)
}
