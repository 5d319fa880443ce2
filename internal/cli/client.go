package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// pageSize is how many items a list command asks for per request.
const pageSize = 100

// newClientCommand returns `gatehouse client`, which manages client
// credentials through the admin API.
func newClientCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "client",
		Short: "Create, list, show, rotate and revoke client credentials",
		Long: `Manage the client credentials of a running Gatehouse server through its admin API.

The admin API key is read from --admin-key-file (written by "gatehouse serve" on
first start) unless GATEHOUSE_ADMIN_KEY holds it.`,
		Example: `  gatehouse client create --env sandbox --name acme --scope ledger:read
  gatehouse client list --env production
  gatehouse client rotate 3fJ9kQ2xVb7LmN0pR5sT --grace 24h`,
	}
	af.register(cmd)
	cmd.AddCommand(
		newClientCreateCommand(&af),
		newClientListCommand(&af),
		newClientShowCommand(&af),
		newClientRotateCommand(&af),
		newClientRevokeCommand(&af),
		newClientSetKeysCommand(&af),
		newClientUpdateCommand(&af),
		newClientRevokeSecretCommand(&af),
		newClientRevealCommand(&af),
	)
	return cmd
}

func newClientCreateCommand(af *adminFlags) *cobra.Command {
	var req adminclient.CreateClientRequest
	var kf clientKeyFlags
	cmd := &cobra.Command{
		Use:   "create --env ENV --name NAME",
		Short: "Create a client credential and print its secret (shown only once)",
		Long: `Create a client credential in an environment. Without --account a new account
named after the client is created for it.

The client secret and API key are printed only this once: store them now.`,
		Example: `  gatehouse client create --env sandbox --name acme --scope ledger:read --scope collection:write
  gatehouse client create --env production --name acme-prod --account 12 --scope ledger:read,ledger:write \
      --audience https://api.example.com --allowed-cidr 203.0.113.0/24 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keys, err := kf.read()
			if err != nil {
				return err
			}
			req.JWKS, req.PublicKeyPEM = keys.JWKS, keys.PublicKeyPEM
			if req.AllowedCIDRs, err = cidrFlag(req.AllowedCIDRs); err != nil {
				return err
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			c, err := api.CreateClient(cmd.Context(), req)
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), c)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created client %s in environment %s (account %d).\n\n", c.ClientID, c.Environment, c.AccountID)
			printClientWithSecret(cmd.OutOrStdout(), c)
			fmt.Fprintln(cmd.ErrOrStderr(), "\nWarning: the client secret and API key are shown only this once. Store them now.")
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&req.Environment, "env", "", "environment of the client, e.g. sandbox or production (required)")
	fs.StringVar(&req.Name, "name", "", "name of the client (required)")
	fs.Int64Var(&req.AccountID, "account", 0, "id of the account the client belongs to (default: a new account named after the client)")
	trimmedListVar(fs, &req.Scopes, "scope", "allowed scope; repeat the flag or separate with commas")
	trimmedListVar(fs, &req.Audiences, "audience", "allowed audience (RFC 8707 resource); repeatable")
	fs.StringSliceVar(&req.AllowedCIDRs, "allowed-cidr", nil, "IP prefix the client may call from, e.g. 203.0.113.0/24; repeatable (default: any address)")
	kf.register(cmd)
	cmd.MarkFlagRequired("env")
	cmd.MarkFlagRequired("name")
	return cmd
}

func newClientListCommand(af *adminFlags) *cobra.Command {
	var (
		q     adminclient.ClientQuery
		limit int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List client credentials",
		Long:  "List client credentials in id order, all of them unless --limit is given.",
		Example: `  gatehouse client list
  gatehouse client list --env sandbox --account 12
  gatehouse client list --limit 20 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return fmt.Errorf("--limit must not be negative")
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			out := adminclient.ClientPage{Items: []adminclient.Client{}}
			for {
				q.Limit = pageSize
				if limit > 0 {
					q.Limit = min(pageSize, limit-len(out.Items))
				}
				page, err := api.Clients(cmd.Context(), q)
				if err != nil {
					return err
				}
				out.Items = append(out.Items, page.Items...)
				out.NextAfter = page.NextAfter
				if page.NextAfter == "" || (limit > 0 && len(out.Items) >= limit) {
					break
				}
				q.After = page.NextAfter
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), out)
			}
			printClientTable(cmd.OutOrStdout(), out.Items)
			if out.NextAfter != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "More clients follow %s.\n", out.NextAfter)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&q.Environment, "env", "", "only clients of this environment")
	fs.Int64Var(&q.AccountID, "account", 0, "only clients of this account")
	fs.IntVar(&limit, "limit", 0, "list at most this many clients (default: all)")
	return cmd
}

func newClientShowCommand(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "show CLIENT_ID",
		Short:   "Show a client credential (never its secret)",
		Example: `  gatehouse client show 3fJ9kQ2xVb7LmN0pR5sT --json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := af.api()
			if err != nil {
				return err
			}
			c, err := api.Client(cmd.Context(), args[0])
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
}

func newClientRotateCommand(af *adminFlags) *cobra.Command {
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "rotate CLIENT_ID",
		Short: "Give a client a new secret (shown only once)",
		Long: `Give a client a new secret. Without --grace every older secret stops working at
once; with --grace the current secret keeps working that much longer, so that
the programs using it can move to the new one. A client has at most two live
secrets.`,
		Example: `  gatehouse client rotate 3fJ9kQ2xVb7LmN0pR5sT
  gatehouse client rotate 3fJ9kQ2xVb7LmN0pR5sT --grace 24h --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if grace < 0 || grace > manage.MaxGrace {
				return fmt.Errorf("--grace %s must be between 0 and %s", lifetimeText(int64(grace/time.Second)), lifetimeText(int64(manage.MaxGrace/time.Second)))
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			ending := liveSecretsEnding(cmd.Context(), api, args[0])
			c, err := api.RotateClientSecret(cmd.Context(), args[0], grace)
			if err != nil {
				return err
			}
			if ending != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), ending)
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), c)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Rotated the secret of client %s.\n\n", c.ClientID)
			printClientWithSecret(cmd.OutOrStdout(), c)
			fmt.Fprintln(cmd.ErrOrStderr(), "\nWarning: the new client secret and API key are shown only this once. Store them now.")
			return nil
		},
	}
	dayDurationVar(cmd.Flags(), &grace, "grace", "how long the current secret keeps working, e.g. 24h or 1d (default: it stops at once)")
	return cmd
}

func newClientRevokeCommand(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke CLIENT_ID",
		Short: "Revoke a client credential",
		Long: `Revoke a client credential: it can no longer obtain tokens. Revoking a revoked
client succeeds and changes nothing.`,
		Example: `  gatehouse client revoke 3fJ9kQ2xVb7LmN0pR5sT`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := af.api()
			if err != nil {
				return err
			}
			c, err := api.RevokeClient(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), c)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Client %s is %s.\n", c.ClientID, c.Status)
			return nil
		},
	}
}

// printClientWithSecret writes a new credential as aligned lines.
func printClientWithSecret(w io.Writer, c *adminclient.ClientWithSecret) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "client_id:\t%s\n", c.ClientID)
	fmt.Fprintf(tw, "client_secret:\t%s\n", c.ClientSecret)
	fmt.Fprintf(tw, "api_key:\t%s\n", c.APIKey)
	writeClientFields(tw, &c.Client)
	tw.Flush()
}

// printClient writes a client as aligned lines.
func printClient(w io.Writer, c *adminclient.Client) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "client_id:\t%s\n", c.ClientID)
	if c.LegacyAPIKey {
		fmt.Fprintf(tw, "legacy_api_key:\tyes: another server's key, imported; replace it with a new client and revoke this one\n")
	}
	if c.MustRotate {
		fmt.Fprintf(tw, "must_rotate:\tyes: imported without its secret, it gets no token until `gatehouse client rotate %s` issues one\n", c.ClientID)
	}
	writeClientFields(tw, c)
	tw.Flush()
}

func writeClientFields(w io.Writer, c *adminclient.Client) {
	fmt.Fprintf(w, "environment:\t%s\n", c.Environment)
	fmt.Fprintf(w, "account_id:\t%d\n", c.AccountID)
	fmt.Fprintf(w, "name:\t%s\n", c.Name)
	fmt.Fprintf(w, "status:\t%s\n", c.Status)
	fmt.Fprintf(w, "scopes:\t%s\n", listOrDash(c.Scopes))
	fmt.Fprintf(w, "audiences:\t%s\n", listOrDash(c.Audiences))
	fmt.Fprintf(w, "allowed_cidrs:\t%s\n", listOrDash(c.AllowedCIDRs))
	writeTokenOverrides(w, c.TokenOverrides)
	writeClientKeys(w, c)
	fmt.Fprintf(w, "created_at:\t%s\n", timeText(c.CreatedAt))
	fmt.Fprintf(w, "updated_at:\t%s\n", timeText(c.UpdatedAt))
	for _, s := range c.Secrets {
		expires := "never expires"
		if s.ExpiresAt != nil {
			expires = "expires " + timeText(*s.ExpiresAt)
		}
		fmt.Fprintf(w, "secret %d:\tcreated %s, %s\n", s.ID, timeText(s.CreatedAt), expires)
	}
}

// printClientTable writes clients as a table. FLAGS names what an
// operator should act on: must-rotate (imported without its secret: rotate
// it) and legacy-key (another server's API key: replace the client).
func printClientTable(w io.Writer, clients []adminclient.Client) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLIENT ID\tENVIRONMENT\tACCOUNT\tSTATUS\tNAME\tSCOPES\tFLAGS")
	for _, c := range clients {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", c.ClientID, c.Environment, c.AccountID, c.Status, c.Name,
			listOrDash(c.Scopes), clientFlags(&c))
	}
	tw.Flush()
}

// clientFlags is the FLAGS cell of a client: what it is marked with, or -.
func clientFlags(c *adminclient.Client) string {
	var flags []string
	if c.MustRotate {
		flags = append(flags, "must-rotate")
	}
	if c.LegacyAPIKey {
		flags = append(flags, "legacy-key")
	}
	return listOrDash(flags)
}

// liveSecretsEnding says what a rotation of client id ends beyond the
// usual: a client keeps at most two live secrets, so rotating one that is
// in a grace period (two live secrets) ends the older at once. "" when
// there is nothing to say or the client cannot be read (the rotation
// itself reports errors).
func liveSecretsEnding(ctx context.Context, api *adminclient.API, id string) string {
	c, err := api.Client(ctx, id)
	if err != nil {
		return ""
	}
	// Judge expiry by this machine's clock, unless the server's clock is
	// visibly elsewhere (a secret created in the future, or long ago as
	// on a test server with a fixed clock): then by the newest creation.
	now := time.Now()
	for _, s := range c.Secrets {
		if s.CreatedAt.After(now) || now.Sub(s.CreatedAt) > 366*24*time.Hour {
			now = s.CreatedAt
		}
	}
	var live []adminclient.Secret
	for _, s := range c.Secrets {
		if s.ExpiresAt == nil || s.ExpiresAt.After(now) {
			live = append(live, s)
		}
	}
	if len(live) < 2 {
		return ""
	}
	return fmt.Sprintf("Note: client %s had two live secrets (a grace period was running); this rotation ends the older one, secret %d, at once.",
		id, live[0].ID)
}
