package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/importfile"
)

// newImportCommand returns `gatehouse import FILE [--apply]`.
func newImportCommand() *cobra.Command {
	var af adminFlags
	var apply, all bool
	var opts adminclient.ImportOptions
	var secretsFile string
	cmd := &cobra.Command{
		Use:   "import FILE [--apply]",
		Short: "Import clients of another server, keeping their ids and secrets (dry run unless --apply)",
		Long: `Import clients from a CSV file (a header line naming its columns) or a JSON
Lines file (one object per line) with the columns client_id, secret,
secret_hash, api_key, account, environment, scopes, allowed_cidrs and name.
Each row gives exactly one of secret, secret_hash (bcrypt, PBKDF2, sha256$…,
sha512$…) and api_key (a Gatehouse API key, or another server's
single-string key such as a UUID, whose client id is then derived from it).

Or from a Keycloak realm export (kc.sh export): each confidential client
with service accounts on becomes a client of the environment and account
named like its realm (--env and --account choose others); other clients are
skipped with the reason. Or from an Ory Hydra client list (hydra list
oauth2-clients --format json): --env is required, the account is --account
or the client's owner, and the secrets come from --secrets, a CSV file of
client_id and secret or secret_hash (the hash Hydra stored). A client whose
secret is not in the file (masked by a Keycloak partial export, or missing
from --secrets) is created without one and must rotate. The format is told
from the content; --format names it.

Without --apply nothing is written; the report says
what would be created, updated, skipped (unchanged) or refused, with the line
(or the path in a JSON document, e.g. realms[0].clients[3]).
With --apply the whole file is written in one transaction, or nothing if any
row is refused. Running the same file again changes nothing. Neither the report
nor any log shows a secret. "-" reads the file from standard input.`,
		Example: `  gatehouse import clients.csv
  gatehouse import clients.csv --apply
  gatehouse import clients.jsonl --apply --json
  gatehouse import realm-export.json --env production
  gatehouse import hydra-clients.json --env production --account Acme --secrets hydra-secrets.csv --apply`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			if secretsFile != "" {
				f, err := os.Open(secretsFile)
				if err != nil {
					return fmt.Errorf("--secrets: %w", err)
				}
				defer f.Close()
				opts.Secrets = f
			}
			if opts.Format != "" && !slices.Contains(importfile.Formats, opts.Format) {
				return fmt.Errorf("--format must be one of %s", strings.Join(importfile.Formats, ", "))
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			opts.Apply = apply
			rep, err := api.ImportFile(cmd.Context(), in, opts)
			if err != nil {
				return err
			}
			if af.json {
				err = printJSON(cmd.OutOrStdout(), rep)
			} else {
				printImportReport(cmd.OutOrStdout(), rep, all)
			}
			if err == nil && rep.Refused > 0 {
				err = fmt.Errorf("%d row(s) refused; nothing was written", rep.Refused)
			}
			return err
		},
	}
	af.register(cmd)
	cmd.Flags().BoolVar(&apply, "apply", false, "write the import (default: a dry run)")
	cmd.Flags().BoolVar(&all, "all", false, "list unchanged rows too")
	cmd.Flags().StringVar(&opts.Format, "format", "", "the file's format: "+strings.Join(importfile.Formats, ", ")+" (default: told from the content)")
	cmd.Flags().StringVar(&opts.Environment, "env", "", "environment of every client (required for Hydra; Keycloak: instead of the realm's name)")
	cmd.Flags().StringVar(&opts.Account, "account", "", "account id or name of every client (Keycloak: instead of the realm's name; Hydra: instead of the owner)")
	cmd.Flags().StringVar(&secretsFile, "secrets", "", "a Hydra list's secrets: CSV of client_id and secret or secret_hash")
	return cmd
}

func printImportReport(w io.Writer, rep *adminclient.ImportReport, all bool) {
	for _, r := range rep.Rows {
		if r.Action == "skip" && r.Reason == "unchanged" && !all {
			continue
		}
		where := fmt.Sprintf("line %d", r.Line)
		if r.Path != "" {
			where = r.Path
		}
		fmt.Fprintf(w, "%s\t%s\t%s", where, r.Action, r.ClientID)
		if r.Reason != "" {
			fmt.Fprintf(w, "\t%s", r.Reason)
		}
		fmt.Fprintln(w)
	}
	switch {
	case rep.Refused > 0:
		fmt.Fprintf(w, "Refused: %d row(s) cannot be imported, so nothing of the file was written.\n", rep.Refused)
	case rep.Applied:
		fmt.Fprintf(w, "Applied: %d created, %d updated, %d unchanged or left out.\n", rep.Created, rep.Updated, rep.Skipped)
	default:
		fmt.Fprintf(w, "Dry run: %d to create, %d to update, %d unchanged or left out; nothing written (add --apply to write).\n",
			rep.Created, rep.Updated, rep.Skipped)
	}
}
