package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

// tokenSettingNames are the names --inherit takes.
var tokenSettingNames = []string{"format", "lifetime", "reuse", "default-audience"}

func newClientUpdateCommand(af *adminFlags) *cobra.Command {
	var (
		name                       string
		scopes, audiences, cidrs   []string
		format, lifetime, audience string
		reuse                      bool
		inherit                    []string
	)
	cmd := &cobra.Command{
		Use:   "update CLIENT_ID",
		Short: "Change a client's name, scopes, audiences, IP allowlist or token settings",
		Long: `Change a client credential; only the flags given change, and the change is in
force at once. --scope, --audience and --allowed-cidr replace the client's list
(give the flag an empty value to empty it). The --token-* flags override the
environment's token settings for this client; --inherit drops overrides so that
the client takes the environment's values again.`,
		Example: `  gatehouse client update 3fJ9kQ2xVb7LmN0pR5sT --scope ledger:read,ledger:write
  gatehouse client update 3fJ9kQ2xVb7LmN0pR5sT --token-format opaque --token-lifetime 90d --token-reuse
  gatehouse client update 3fJ9kQ2xVb7LmN0pR5sT --allowed-cidr '' --inherit format,reuse`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			fs := cmd.Flags()
			var req adminclient.UpdateClientRequest
			if fs.Changed("name") {
				req.Name = wire.Some(name)
			}
			if fs.Changed("scope") {
				req.Scopes = wire.Some(nonEmpty(scopes))
			}
			if fs.Changed("audience") {
				req.Audiences = wire.Some(nonEmpty(audiences))
			}
			if fs.Changed("allowed-cidr") {
				list, err := cidrFlag(cidrs)
				if err != nil {
					return err
				}
				req.AllowedCIDRs = wire.Some(list)
			}
			var p wire.TokenSettingsPatch
			if fs.Changed("token-format") {
				p.Format = wire.Some(format)
			}
			if fs.Changed("token-lifetime") {
				sec, err := parseLifetime("--token-lifetime", lifetime)
				if err != nil {
					return err
				}
				p.LifetimeSeconds = wire.Some(sec)
			}
			if fs.Changed("token-reuse") {
				p.Reuse = wire.Some(reuse)
			}
			if fs.Changed("token-default-audience") {
				p.DefaultAudience = wire.Some(audience)
			}
			for _, n := range nonEmpty(inherit) {
				var set bool
				switch n {
				case "format":
					set, p.Format = p.Format.Set, wire.Null[string]()
				case "lifetime":
					set, p.LifetimeSeconds = p.LifetimeSeconds.Set, wire.Null[int64]()
				case "reuse":
					set, p.Reuse = p.Reuse.Set, wire.Null[bool]()
				case "default-audience":
					set, p.DefaultAudience = p.DefaultAudience.Set, wire.Null[string]()
				default:
					return fmt.Errorf("--inherit %q: name one of %s", n, strings.Join(tokenSettingNames, ", "))
				}
				if set {
					return fmt.Errorf("--inherit %s contradicts --token-%s", n, n)
				}
			}
			if p != (wire.TokenSettingsPatch{}) {
				req.TokenOverrides = &p
			}
			if !req.Name.Set && !req.Scopes.Set && !req.Audiences.Set && !req.AllowedCIDRs.Set && req.TokenOverrides == nil {
				return errors.New("nothing to change: give at least one flag (see --help)")
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			c, err := api.UpdateClient(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), c)
			}
			printClient(cmd.OutOrStdout(), c)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&name, "name", "", "new name of the client")
	trimmedListVar(fs, &scopes, "scope", "allowed scopes, replacing the current ones; repeatable or comma-separated")
	fs.StringSliceVar(&audiences, "audience", nil, "allowed audiences, replacing the current ones; repeatable")
	fs.StringSliceVar(&cidrs, "allowed-cidr", nil, "IP prefixes the client may call from, replacing the current ones ('' for any address)")
	fs.StringVar(&format, "token-format", "", "this client's token format: jwt or opaque")
	fs.StringVar(&lifetime, "token-lifetime", "", "this client's token lifetime: seconds or a duration such as 15m, 24h or 90d")
	fs.BoolVar(&reuse, "token-reuse", false, "whether this client gets its unexpired token back (--token-reuse=false to switch off)")
	fs.StringVar(&audience, "token-default-audience", "", "this client's default audience")
	fs.StringSliceVar(&inherit, "inherit", nil, "token settings to take from the environment again: "+strings.Join(tokenSettingNames, ", "))
	return cmd
}

func newClientRevokeSecretCommand(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke-secret CLIENT_ID SECRET_ID",
		Short: "Revoke one secret of a client and every token issued with it",
		Long: `Revoke one secret of a client (the ids are in "gatehouse client show"): it stops
working at once, and every token issued with it is inactive at introspection
from now on. The client's other secret, if it has one, keeps working.`,
		Example: `  gatehouse client show 3fJ9kQ2xVb7LmN0pR5sT
  gatehouse client revoke-secret 3fJ9kQ2xVb7LmN0pR5sT 41`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			secretID, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil || secretID <= 0 {
				return fmt.Errorf("secret id %q must be a positive number (see gatehouse client show)", args[1])
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			c, err := api.RevokeClientSecret(cmd.Context(), args[0], secretID)
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), c)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Revoked secret %d of client %s.\n\n", secretID, c.ClientID)
			printClient(cmd.OutOrStdout(), c)
			return nil
		},
	}
}

func newClientRevealCommand(af *adminFlags) *cobra.Command {
	var email, passwordFile string
	cmd := &cobra.Command{
		Use:   "reveal CLIENT_ID",
		Short: "Show a client's secret again (re-enter your password)",
		Long: `Show a client's current secret and API key again. This works only where the
environment allows reveal ("gatehouse env update ENV --allow-reveal") and for
secrets created since. You sign in again as a user: the password is read from
--password-file, else GATEHOUSE_PASSWORD, else asked for on the terminal.
Every reveal is audited.`,
		Example: `  gatehouse client reveal 3fJ9kQ2xVb7LmN0pR5sT
  gatehouse client reveal 3fJ9kQ2xVb7LmN0pR5sT --email ops@example.com --password-file ./pw --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := af.api()
			if err != nil {
				return err
			}
			pw, err := readPassword(cmd, email, passwordFile)
			if err != nil {
				return err
			}
			s, err := api.RevealClientSecret(cmd.Context(), args[0], email, pw)
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), s)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "client_id:\t%s\n", s.ClientID)
			fmt.Fprintf(tw, "environment:\t%s\n", s.Environment)
			fmt.Fprintf(tw, "secret_id:\t%d\n", s.SecretID)
			fmt.Fprintf(tw, "client_secret:\t%s\n", s.ClientSecret)
			fmt.Fprintf(tw, "api_key:\t%s\n", s.APIKey)
			return tw.Flush()
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&email, "email", "admin@localhost", "email of the user who signs in again")
	fs.StringVar(&passwordFile, "password-file", "", "file holding the user's password (else GATEHOUSE_PASSWORD, else a prompt)")
	return cmd
}

// readPassword returns the password from file, GATEHOUSE_PASSWORD, or the
// terminal (without echo); from a stdin that is not a terminal it reads one
// line.
func readPassword(cmd *cobra.Command, email, file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read the password file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if pw := os.Getenv("GATEHOUSE_PASSWORD"); pw != "" {
		return pw, nil
	}
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(cmd.ErrOrStderr(), "Password of %s: ", email)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("no password: use --password-file, GATEHOUSE_PASSWORD or a terminal")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// nonEmpty drops empty strings, so that an empty flag value empties a list.
// cidrFlag reads the values of --allowed-cidr: IP prefixes, blanks left
// out; an error names the flag.
func cidrFlag(values []string) ([]string, error) {
	list := nonEmpty(values)
	for _, s := range list {
		if _, err := netip.ParsePrefix(s); err != nil {
			return nil, fmt.Errorf("--allowed-cidr %q is not an IP prefix such as 203.0.113.0/24 or 2001:db8::/32", s)
		}
	}
	return list, nil
}

func nonEmpty(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// writeTokenOverrides writes a client's token overrides, if it has any.
func writeTokenOverrides(w io.Writer, o wire.TokenOverrides) {
	if o.Format != nil {
		fmt.Fprintf(w, "token_format:\t%s (override)\n", *o.Format)
	}
	if o.LifetimeSeconds != nil {
		fmt.Fprintf(w, "token_lifetime:\t%s (override)\n", lifetimeText(*o.LifetimeSeconds))
	}
	if o.Reuse != nil {
		fmt.Fprintf(w, "token_reuse:\t%v (override)\n", *o.Reuse)
	}
	if o.DefaultAudience != nil {
		fmt.Fprintf(w, "default_audience:\t%s (override)\n", *o.DefaultAudience)
	}
}
