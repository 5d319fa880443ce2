package dashboard

import (
	"net/url"
	"strings"
)

// TokenEndpoints says where the server answers token requests, for the
// ready-to-paste curl lines shown when a credential is created: the public
// URL, and the paths of the legacy dialects ("" when a dialect is off).
type TokenEndpoints struct {
	PublicURL    string // e.g. https://auth.example.com, no trailing slash
	LengowPath   string // e.g. /access/get_token
	LemonwayPath string // e.g. /oauth/api/v1/oauth/token
}

// curlLine is one way of fetching a token, as a shell command.
type curlLine struct {
	ID      string // a stable id for the copy button and the tests
	Label   string
	Command string
}

// curlLines returns a curl command for each token flow the server serves
// for a credential of env: the Keycloak-style form post (always), and the
// Lengow- and Lemonway-style endpoints when they are on. Every value is
// quoted for a POSIX shell.
func curlLines(ep TokenEndpoints, env, clientID, secret, apiKey string) []curlLine {
	base := strings.TrimRight(ep.PublicURL, "/")
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret}}
	lines := []curlLine{{
		ID: "curl-keycloak", Label: "Keycloak-style (client id and secret in the form body)",
		Command: "curl --data " + shellQuote(encodeOrdered(form, "grant_type", "client_id", "client_secret")) + " " +
			shellQuote(base+"/auth/realms/"+url.PathEscape(env)+"/protocol/openid-connect/token"),
	}}
	if ep.LengowPath != "" {
		body := url.Values{"access_token": {clientID}, "secret": {secret}}
		lines = append(lines, curlLine{
			ID: "curl-lengow", Label: "Lengow-style (" + ep.LengowPath + ")",
			Command: "curl --data " + shellQuote(encodeOrdered(body, "access_token", "secret")) + " " + shellQuote(base+ep.LengowPath),
		})
	}
	if ep.LemonwayPath != "" && apiKey != "" {
		lines = append(lines, curlLine{
			ID: "curl-lemonway", Label: "Lemonway-style (" + ep.LemonwayPath + ", API key)",
			Command: "curl -H " + shellQuote("Authorization: basic "+apiKey) + " --data " + shellQuote("Grant_type=client_credentials") +
				" " + shellQuote(base+ep.LemonwayPath),
		})
	}
	return lines
}

// encodeOrdered form-encodes v with its keys in the given order (what a
// reader expects: grant_type first), unlike url.Values.Encode.
func encodeOrdered(v url.Values, keys ...string) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v.Get(k)))
	}
	return strings.Join(parts, "&")
}

// shellQuote quotes s for a POSIX shell: in single quotes, with each single
// quote inside closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
