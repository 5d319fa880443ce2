package cli

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

// newAccountCommand returns `gatehouse account`, which manages accounts
// through the admin API.
func newAccountCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "account",
		Short: "Create, list and show accounts (the provider's business clients)",
		Long: `Manage the accounts of a running Gatehouse server through its admin API. An
account is an organisation that owns client credentials and dashboard users.`,
		Example: `  gatehouse account create --name "Acme Ltd"
  gatehouse account list --json`,
	}
	af.register(cmd)
	cmd.AddCommand(
		newAccountCreateCommand(&af),
		newAccountListCommand(&af),
		newAccountShowCommand(&af),
	)
	return cmd
}

func newAccountCreateCommand(af *adminFlags) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:     "create --name NAME",
		Short:   "Create an account",
		Example: `  gatehouse account create --name "Acme Ltd" --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := af.api()
			if err != nil {
				return err
			}
			a, err := api.CreateAccount(cmd.Context(), name)
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), a)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created account %d: %s\n", a.ID, a.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "name of the account (required)")
	cmd.MarkFlagRequired("name")
	return cmd
}

func newAccountListCommand(af *adminFlags) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List accounts",
		Long:  "List accounts in id order, all of them unless --limit is given.",
		Example: `  gatehouse account list
  gatehouse account list --limit 10 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 0 {
				return fmt.Errorf("--limit must not be negative")
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			out := adminclient.AccountPage{Items: []adminclient.Account{}}
			var after int64
			for {
				n := pageSize
				if limit > 0 {
					n = min(pageSize, limit-len(out.Items))
				}
				page, err := api.Accounts(cmd.Context(), n, after)
				if err != nil {
					return err
				}
				out.Items = append(out.Items, page.Items...)
				out.NextAfter = page.NextAfter
				if page.NextAfter == nil || (limit > 0 && len(out.Items) >= limit) {
					break
				}
				after = *page.NextAfter
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), out)
			}
			printAccountTable(cmd.OutOrStdout(), out.Items)
			if out.NextAfter != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "More accounts follow %d.\n", *out.NextAfter)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "list at most this many accounts (default: all)")
	return cmd
}

func newAccountShowCommand(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "show ACCOUNT_ID",
		Short:   "Show an account",
		Example: `  gatehouse account show 12`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("account id %q must be a positive integer", args[0])
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			a, err := api.Account(cmd.Context(), id)
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), a)
			}
			printAccountTable(cmd.OutOrStdout(), []adminclient.Account{*a})
			return nil
		},
	}
}

// printAccountTable writes accounts as a table.
func printAccountTable(w io.Writer, accounts []adminclient.Account) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED")
	for _, a := range accounts {
		fmt.Fprintf(tw, "%d\t%s\t%s\n", a.ID, a.Name, timeText(a.CreatedAt))
	}
	tw.Flush()
}
