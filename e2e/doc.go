// Package e2e holds end-to-end tests: each starts the real server
// (internal/app) on 127.0.0.1:0 with a temporary database and drives it over
// HTTP with third-party clients (golang.org/x/oauth2, github.com/coreos/go-oidc)
// and plain net/http. It has no non-test code.
package e2e
