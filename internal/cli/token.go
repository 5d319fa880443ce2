package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// maxTokenAnswerBytes bounds the token endpoint's answer.
const maxTokenAnswerBytes = 1 << 20

// tokenOptions are the flags of `gatehouse token`.
type tokenOptions struct {
	server       string
	env          string
	clientID     string
	clientSecret string
	scopes       []string
	audience     string
	auth         string
	json         bool
}

// newTokenCommand returns `gatehouse token`, which fetches an access token
// with the client credentials grant, for people testing their setup.
func newTokenCommand() *cobra.Command {
	var o tokenOptions
	cmd := &cobra.Command{
		Use:   "token --env ENV --client-id ID --client-secret SECRET",
		Short: "Fetch an access token with the client credentials grant",
		Long: `Fetch an access token from a Gatehouse server's token endpoint
({server}/realms/{env}/protocol/openid-connect/token) with the OAuth 2.0 client
credentials grant, and print it.

Every flag may also come from an environment variable GATEHOUSE_<FLAG>, such as
GATEHOUSE_SERVER or GATEHOUSE_CLIENT_SECRET (which keeps the secret out of the
shell history).`,
		Example: `  gatehouse token --env sandbox --client-id 3fJ9kQ2xVb7LmN0pR5sT --client-secret "$SECRET"
  GATEHOUSE_CLIENT_SECRET=... gatehouse token --server https://auth.example.com --env production \
      --client-id 3fJ9kQ2xVb7LmN0pR5sT --scope ledger:read --auth post --json`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			return bindEnv(cmd.Flags(), os.Getenv)
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return runToken(cmd, &o) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.server, "server", defaultServer, "base URL of the Gatehouse server")
	fs.StringVar(&o.env, "env", "sandbox", "environment (realm) of the client")
	fs.StringVar(&o.clientID, "client-id", "", "client id (required)")
	fs.StringVar(&o.clientSecret, "client-secret", "", "client secret (required; or GATEHOUSE_CLIENT_SECRET)")
	trimmedListVar(fs, &o.scopes, "scope", "scope to ask for; repeat or separate with commas (default: all the client's scopes)")
	fs.StringVar(&o.audience, "audience", "", "audience (RFC 8707 resource) to ask for")
	fs.StringVar(&o.auth, "auth", "basic", "how the client authenticates: basic (client_secret_basic) or post (client_secret_post)")
	fs.BoolVar(&o.json, "json", false, "print the token endpoint's JSON answer as is")
	return cmd
}

// tokenAnswer is the token endpoint's answer, success or error (RFC 6749
// §5.1, §5.2).
type tokenAnswer struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func runToken(cmd *cobra.Command, o *tokenOptions) error {
	if o.clientID == "" {
		return fmt.Errorf("--client-id is required")
	}
	if o.clientSecret == "" {
		return fmt.Errorf("--client-secret (or GATEHOUSE_CLIENT_SECRET) is required")
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(o.scopes) > 0 {
		form.Set("scope", strings.Join(o.scopes, " "))
	}
	if o.audience != "" {
		form.Set("audience", o.audience)
	}
	switch o.auth {
	case "basic":
	case "post":
		form.Set("client_id", o.clientID)
		form.Set("client_secret", o.clientSecret)
	default:
		return fmt.Errorf("--auth must be basic or post, not %q", o.auth)
	}
	endpoint := strings.TrimRight(o.server, "/") + "/realms/" + url.PathEscape(o.env) + "/protocol/openid-connect/token"
	req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if o.auth == "basic" {
		// RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
		req.SetBasicAuth(url.QueryEscape(o.clientID), url.QueryEscape(o.clientSecret))
	}
	resp, err := (&http.Client{Timeout: httpTimeout}).Do(req)
	if err != nil {
		return fmt.Errorf("token request: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswerBytes))
	if err != nil {
		return fmt.Errorf("read token answer: %w", err)
	}

	var a tokenAnswer
	jsonErr := json.Unmarshal(body, &a)
	if resp.StatusCode != http.StatusOK {
		if jsonErr == nil && a.Error != "" {
			if a.ErrorDescription == "" {
				return fmt.Errorf("%s", a.Error)
			}
			return fmt.Errorf("%s: %s", a.Error, a.ErrorDescription)
		}
		return fmt.Errorf("token endpoint answered %s: %s", resp.Status, snippet(body))
	}
	if jsonErr != nil || a.AccessToken == "" {
		return fmt.Errorf("token endpoint answered 200 without an access token: %s", snippet(body))
	}
	out := cmd.OutOrStdout()
	if o.json {
		out.Write(body)
		if !strings.HasSuffix(string(body), "\n") {
			fmt.Fprintln(out)
		}
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "access_token:\t%s\n", a.AccessToken)
	fmt.Fprintf(tw, "token_type:\t%s\n", a.TokenType)
	fmt.Fprintf(tw, "expires_in:\t%d\n", a.ExpiresIn)
	fmt.Fprintf(tw, "scope:\t%s\n", a.Scope)
	return tw.Flush()
}

// snippet shortens an unexpected answer for an error message.
func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}
