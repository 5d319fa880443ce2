package gateway

import "testing"

func TestRulesMatchTheLongestPrefixOnSegmentBoundaries(t *testing.T) {
	rs := Rules{List: []Rule{
		{Path: "/ledger/", Scopes: []string{"ledger:read"}},
		{Path: "/ledger/transfers", Scopes: []string{"ledger:write"}, Methods: []string{"post"}},
		{Path: "/", Scopes: []string{"any"}},
	}}
	if err := rs.validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"/ledger":                "/ledger",
		"/ledger/accounts":       "/ledger",
		"/ledger/transfers":      "/ledger/transfers",
		"/ledger/transfers/12":   "/ledger/transfers",
		"/ledgers":               "/",
		"/ledger/transfersextra": "/ledger",
		"/other":                 "/",
	}
	for p, want := range cases {
		if got := rs.match(p); got == nil || got.Path != want {
			t.Errorf("%s matched %v, want %s", p, got, want)
		}
	}
	r := rs.match("/ledger/transfers")
	if !r.allows("POST") || r.allows("GET") {
		t.Errorf("methods of %v: POST must be allowed, GET not", r)
	}
	if get := (&Rule{Methods: []string{"GET"}}); !get.allows("HEAD") {
		t.Error("a GET rule must allow HEAD")
	}
}

func TestRulesRefuseBadValues(t *testing.T) {
	for name, r := range map[string]Rule{
		"a relative path":     {Path: "ledger"},
		"a scope with spaces": {Path: "/x", Scopes: []string{"a b"}},
		"an empty method":     {Path: "/x", Methods: []string{" "}},
	} {
		rs := Rules{List: []Rule{r}}
		if err := rs.validate(); err == nil {
			t.Errorf("%s was accepted", name)
		}
	}
}
