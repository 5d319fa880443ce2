package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/gatefile"
)

// defaultSecretsOut is where apply writes new secrets and invitation links
// unless --secrets-out names another file.
const defaultSecretsOut = "gatehouse-secrets.yaml"

// newExportCommand returns `gatehouse export [--env E] [--account A]`.
func newExportCommand() *cobra.Command {
	var af adminFlags
	var env, out string
	var account int64
	var hashes bool
	cmd := &cobra.Command{
		Use:   "export [--env E] [--account A] [-o FILE]",
		Short: "Write the server's environments, accounts, users and clients as a Gatehouse file (YAML)",
		Long: `Write the server as a Gatehouse file: the environments (but admin) with their
settings, the accounts, the users of the accounts (email, role, disabled;
pending invitations are listed as users; never passwords, second factors or
operators) and the clients (scopes, audiences, allowlist, token overrides,
public keys, status). No secret is ever written. Lists are sorted, so exporting
an unchanged server twice gives the same bytes.

--include-hashes adds the stored hashes of the clients' secrets (SHA-256, or
the hash a secret was imported under), with their creation and expiry times,
for a move to another Gatehouse: ` + "`gatehouse apply`" + ` there recreates the
clients with the same secrets. It needs an admin:write key. Copies of secrets
kept for reveal do not move. A file written with -o is created with mode 0600.

The format is described in docs/declarative.md and docs/gatehouse-file.schema.json.`,
		Example: `  gatehouse export > gatehouse.yaml
  gatehouse export --env sandbox --account 42 -o acme-sandbox.yaml
  gatehouse export --include-hashes -o move.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if account < 0 {
				return fmt.Errorf("--account must be a positive account id")
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			doc, err := api.Export(cmd.Context(), adminclient.ExportQuery{Environment: env, AccountID: account, IncludeHashes: hashes})
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if af.json {
				doc.Sort()
				err = printJSON(&buf, doc)
			} else {
				err = gatefile.Encode(&buf, doc)
			}
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err = cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			return writePrivateFile(out, buf.Bytes())
		},
	}
	af.register(cmd)
	cmd.Flags().StringVar(&env, "env", "", "only this environment")
	cmd.Flags().Int64Var(&account, "account", 0, "only this account (its users and clients)")
	cmd.Flags().BoolVar(&hashes, "include-hashes", false, "include the stored hashes of the clients' secrets (to move them to another server; needs admin:write)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file (mode 0600) instead of standard output")
	return cmd
}

// writePrivateFile writes b to path, readable by its owner only.
func writePrivateFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// newApplyCommand returns `gatehouse apply -f FILE [--dry-run] [--prune]`.
func newApplyCommand() *cobra.Command {
	var af adminFlags
	var file, secretsOut string
	var dryRun, prune, overwrite bool
	cmd := &cobra.Command{
		Use:   "apply -f gatehouse.yaml [--dry-run] [--prune]",
		Short: "Make the server match a Gatehouse file: print the plan, then apply it in one transaction",
		Long: `Make the server match a Gatehouse file (as ` + "`gatehouse export`" + ` writes it). The plan
is printed first: each object to create, update, delete or revoke, with the
fields that change. The whole plan is written in one transaction, or nothing:
an entry the server refuses is named by its path (clients[3].scopes[0]) and
nothing of the file is written. --dry-run prints the plan and writes nothing.
Applying the same file again changes nothing and says so.

--prune also revokes the active clients of the file's environments that belong
to the file's accounts but are not in the file, and deletes the users and
pending invitations of the file's accounts that are not in it. Environments,
accounts, operators and the admin environment are never deleted or revoked.

A secret appears in a file only by reference: secret_from_env: VAR or
secret_from_file: PATH (relative to the file's directory), read here and sent
to the server. A new client without one gets a generated secret. New secrets,
API keys and invitation links (a user the server does not have is invited) are
written to --secrets-out (default ` + defaultSecretsOut + `, created with mode 0600; an
existing file is refused unless --overwrite-secrets-out), never to the
terminal.`,
		Example: `  gatehouse apply -f gatehouse.yaml --dry-run
  gatehouse apply -f gatehouse.yaml
  gatehouse apply -f gatehouse.yaml --prune --secrets-out new-secrets.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return fmt.Errorf("-f is required: the Gatehouse file to apply (\"-\" for standard input)")
			}
			doc, err := readGatehouseFile(cmd.InOrStdin(), file)
			if err != nil {
				return err
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			// The plan first: it says whether new secrets need the secrets
			// file, which must be ready before any secret is made.
			res, err := api.Apply(cmd.Context(), doc, true, prune)
			if err != nil {
				return err
			}
			res.DryRun = dryRun // an empty plan is the answer of a real apply too
			var out *os.File
			saved := 0
			if !dryRun && len(res.Changes) > 0 {
				if planMakesSecrets(res) {
					if out, err = openSecretsOut(secretsOut, overwrite); err != nil {
						return err
					}
				}
				res, err = api.Apply(cmd.Context(), doc, false, prune)
				if err == nil && out == nil && len(res.Credentials)+len(res.Invitations) > 0 {
					// The server changed between the plan and the apply.
					if out, err = openSecretsOut(secretsOut, overwrite); err != nil {
						err = fmt.Errorf("the file was applied, but its new secrets and invitation links could not be saved: %w; rotate those secrets and invite again", err)
					}
				}
				if err == nil && out != nil {
					saved, err = writeSecretsOut(out, res)
				}
				if out != nil {
					if cerr := out.Close(); err == nil {
						err = cerr
					}
					if saved == 0 {
						os.Remove(out.Name())
					}
				}
				if err != nil {
					return err
				}
			}
			if af.json {
				// The secrets went to the file only.
				shown := *res
				shown.Credentials, shown.Invitations = nil, nil
				return printJSON(cmd.OutOrStdout(), struct {
					adminclient.ApplyResult
					SecretsOut string `json:"secrets_out,omitempty"`
					Secrets    int    `json:"secrets_written"`
				}{shown, secretsFileName(out, saved), saved})
			}
			printPlan(cmd.OutOrStdout(), res)
			if saved > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "Wrote %d new credential(s) and invitation link(s) to %s (mode 0600); they are not shown again.\n", saved, out.Name())
			}
			return nil
		},
	}
	af.register(cmd)
	cmd.Flags().StringVarP(&file, "file", "f", "", "the Gatehouse file to apply (\"-\" for standard input)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the plan and write nothing")
	cmd.Flags().BoolVar(&prune, "prune", false, "delete or revoke what the file does not list, within its environments and accounts")
	cmd.Flags().StringVar(&secretsOut, "secrets-out", defaultSecretsOut, "file for new secrets, API keys and invitation links (created with mode 0600)")
	cmd.Flags().BoolVar(&overwrite, "overwrite-secrets-out", false, "replace the --secrets-out file if it exists")
	return cmd
}

func secretsFileName(f *os.File, saved int) string {
	if f == nil || saved == 0 {
		return ""
	}
	return f.Name()
}

// planMakesSecrets reports whether a plan makes a secret, an API key or an
// invitation link.
func planMakesSecrets(res *adminclient.ApplyResult) bool {
	for _, c := range res.Changes {
		for _, f := range c.Fields {
			if f.Field == "secret" || (c.Kind == "user" && strings.HasSuffix(f.To, "(invited)")) {
				return true
			}
		}
	}
	return false
}

// readGatehouseFile reads and decodes a Gatehouse file and resolves its
// secret references; a reference is named by its path when it fails.
func readGatehouseFile(stdin io.Reader, name string) (*gatefile.Document, error) {
	var r io.Reader = stdin
	dir := "."
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, dir = f, filepath.Dir(name)
	}
	doc, err := gatefile.Decode(r)
	if err != nil {
		return nil, err
	}
	for i := range doc.Clients {
		c := &doc.Clients[i]
		path := fmt.Sprintf("clients[%d]", i)
		switch {
		case c.SecretFromEnv != "" && c.SecretFromFile != "":
			return nil, fmt.Errorf("%s: give secret_from_env or secret_from_file, not both", path)
		case c.SecretFromEnv != "":
			v, ok := os.LookupEnv(c.SecretFromEnv)
			if !ok || v == "" {
				return nil, fmt.Errorf("%s.secret_from_env: environment variable %s is not set or empty", path, c.SecretFromEnv)
			}
			c.Secret, c.SecretFromEnv = v, ""
		case c.SecretFromFile != "":
			p := c.SecretFromFile
			if !filepath.IsAbs(p) {
				p = filepath.Join(dir, p)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("%s.secret_from_file: %w", path, err)
			}
			v := strings.TrimRight(string(b), "\r\n")
			if v == "" {
				return nil, fmt.Errorf("%s.secret_from_file: %s is empty", path, c.SecretFromFile)
			}
			c.Secret, c.SecretFromFile = v, ""
		}
	}
	return doc, nil
}

// openSecretsOut creates the secrets file, mode 0600; an existing one is
// refused unless overwrite.
func openSecretsOut(path string, overwrite bool) (*os.File, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if overwrite {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("--secrets-out %s exists: move it away, name another file, or add --overwrite-secrets-out", path)
	} else if err != nil {
		return nil, fmt.Errorf("--secrets-out: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// secretsFile is the content of the secrets file.
type secretsFile struct {
	Credentials []secretsFileCredential `yaml:"credentials,omitempty"`
	Invitations []secretsFileInvitation `yaml:"invitations,omitempty"`
}

type secretsFileCredential struct {
	ClientID     string `yaml:"client_id"`
	Environment  string `yaml:"environment"`
	ClientSecret string `yaml:"client_secret,omitempty"`
	APIKey       string `yaml:"api_key,omitempty"`
}

type secretsFileInvitation struct {
	Email     string    `yaml:"email"`
	Account   int64     `yaml:"account"`
	Role      string    `yaml:"role"`
	Link      string    `yaml:"link"`
	ExpiresAt time.Time `yaml:"expires_at"`
}

// writeSecretsOut writes the new credentials and invitation links of res to
// f and returns how many it wrote.
func writeSecretsOut(f *os.File, res *adminclient.ApplyResult) (int, error) {
	var sf secretsFile
	for _, c := range res.Credentials {
		sf.Credentials = append(sf.Credentials, secretsFileCredential(c))
	}
	for _, inv := range res.Invitations {
		sf.Invitations = append(sf.Invitations, secretsFileInvitation{Email: inv.Email, Account: inv.AccountID, Role: inv.Role, Link: inv.Link, ExpiresAt: inv.ExpiresAt})
	}
	n := len(sf.Credentials) + len(sf.Invitations)
	if n == 0 {
		return 0, nil
	}
	b, err := yaml.Marshal(sf)
	if err != nil {
		return 0, err
	}
	head := "# New credentials and invitation links from `gatehouse apply`, shown this once.\n# Store them where they belong, then delete this file.\n"
	if _, err := f.Write(append([]byte(head), b...)); err != nil {
		return 0, fmt.Errorf("write the secrets file %s: %w (the changes were applied)", f.Name(), err)
	}
	return n, nil
}

// printPlan writes the plan like terraform does: a line per object, its
// changed fields below, and a summary.
func printPlan(w io.Writer, res *adminclient.ApplyResult) {
	if len(res.Changes) == 0 {
		fmt.Fprintln(w, "No changes: the server matches the file.")
		return
	}
	marks := map[string]string{"create": "+", "update": "~", "delete": "-", "revoke": "!"}
	counts := map[string]int{}
	for _, c := range res.Changes {
		counts[c.Action]++
		fmt.Fprintf(w, "%s %s %s %s\n", marks[c.Action], c.Action, c.Kind, c.Key)
		for _, f := range c.Fields {
			switch {
			case c.Action == "create":
				fmt.Fprintf(w, "      %s: %s\n", f.Field, quoteValue(f.To))
			case c.Action == "delete":
				fmt.Fprintf(w, "      %s: %s\n", f.Field, quoteValue(f.From))
			default:
				fmt.Fprintf(w, "      %s: %s -> %s\n", f.Field, quoteValue(f.From), quoteValue(f.To))
			}
		}
	}
	fmt.Fprintf(w, "Plan: %d to create, %d to update, %d to delete, %d to revoke.\n",
		counts["create"], counts["update"], counts["delete"], counts["revoke"])
	if res.Applied {
		fmt.Fprintln(w, "Applied.")
	} else {
		fmt.Fprintln(w, "Dry run: nothing was written.")
	}
}

// quoteValue shows a field's value on one line; a long one is shortened.
func quoteValue(v string) string {
	if v == "" {
		return `""`
	}
	v = strings.ReplaceAll(v, "\n", `\n`)
	if len(v) > 80 {
		v = v[:77] + "..."
	}
	return v
}
