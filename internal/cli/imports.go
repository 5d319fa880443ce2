package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

// newImportCommand returns `gatehouse import FILE [--apply]`.
func newImportCommand() *cobra.Command {
	var af adminFlags
	var apply, all bool
	cmd := &cobra.Command{
		Use:   "import FILE [--apply]",
		Short: "Import clients of another server, keeping their ids and secrets (dry run unless --apply)",
		Long: `Import clients from a CSV file (a header line naming its columns) or a JSON
Lines file (one object per line) with the columns client_id, secret,
secret_hash, api_key, account, environment, scopes, allowed_cidrs and name.
Each row gives exactly one of secret, secret_hash (bcrypt, PBKDF2, sha256$…,
sha512$…) and api_key (a Gatehouse API key, or another server's
single-string key such as a UUID, whose client id is then derived from it).
Without --apply nothing is written; the report says
what would be created, updated, skipped (unchanged) or refused, with the line.
With --apply the whole file is written in one transaction, or nothing if any
row is refused. Running the same file again changes nothing. Neither the report
nor any log shows a secret. "-" reads the file from standard input.`,
		Example: `  gatehouse import clients.csv
  gatehouse import clients.csv --apply
  gatehouse import clients.jsonl --apply --json`,
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
			api, err := af.api()
			if err != nil {
				return err
			}
			rep, err := api.Import(cmd.Context(), in, apply)
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
	return cmd
}

func printImportReport(w io.Writer, rep *adminclient.ImportReport, all bool) {
	for _, r := range rep.Rows {
		if r.Action == "skip" && !all {
			continue
		}
		fmt.Fprintf(w, "line %d\t%s\t%s", r.Line, r.Action, r.ClientID)
		if r.Reason != "" {
			fmt.Fprintf(w, "\t%s", r.Reason)
		}
		fmt.Fprintln(w)
	}
	switch {
	case rep.Refused > 0:
		fmt.Fprintf(w, "Refused: %d row(s) cannot be imported, so nothing of the file was written.\n", rep.Refused)
	case rep.Applied:
		fmt.Fprintf(w, "Applied: %d created, %d updated, %d unchanged.\n", rep.Created, rep.Updated, rep.Skipped)
	default:
		fmt.Fprintf(w, "Dry run: %d to create, %d to update, %d unchanged; nothing written (add --apply to write).\n",
			rep.Created, rep.Updated, rep.Skipped)
	}
}
