package cli

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

// newUserCommand returns `gatehouse user`, the User API: dashboard users of
// an account, their roles and invitations, through the admin API.
func newUserCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Invite, list, show, change, disable and remove the dashboard users of an account",
		Long: `Manage the people who sign in to the dashboard for an account, through the admin
API of a running server. Roles: a viewer reads; a developer also manages
credentials; an admin also manages users; an owner also manages owners. An
account always keeps at least one active owner.

An invitation's link ({public_url}/ui/invitations/{token}) is printed once:
pass it to the person invited, who sets a password (at least 12 characters)
there. It works once and for 7 days; the server also emails it when it has an
SMTP server configured.`,
		Example: `  gatehouse user invite --account 12 --email dev@acme.example --role developer
  gatehouse user list --account 12 --json
  gatehouse user update --account 12 7 --role admin
  gatehouse user disable --account 12 7`,
	}
	af.register(cmd)
	var account int64
	cmd.PersistentFlags().Int64Var(&account, "account", 0, "id of the account whose users to manage (required)")
	cmd.AddCommand(
		newUserInviteCommand(&af, &account),
		newUserListCommand(&af, &account),
		newUserShowCommand(&af, &account),
		newUserUpdateCommand(&af, &account),
		newUserDisableCommand(&af, &account),
		newUserRemoveCommand(&af, &account),
	)
	return cmd
}

// userArgs checks the --account flag and reads the USER_ID argument.
func userArgs(account int64, args []string) (int64, error) {
	if account <= 0 {
		return 0, fmt.Errorf("--account must name an account id")
	}
	if len(args) == 0 {
		return 0, nil
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("user id %q must be a positive integer", args[0])
	}
	return id, nil
}

func newUserInviteCommand(af *adminFlags, account *int64) *cobra.Command {
	var email, role string
	cmd := &cobra.Command{
		Use:     "invite --account ID --email EMAIL --role ROLE",
		Short:   "Invite a person to the account and print the link that accepts the invitation",
		Example: `  gatehouse user invite --account 12 --email dev@acme.example --role developer`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := userArgs(*account, args); err != nil {
				return err
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			sent, err := api.InviteUser(cmd.Context(), *account, email, role)
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), sent)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Invited %s as %s to account %d (invitation %d, valid until %s).\n",
				sent.Email, sent.Role, sent.AccountID, sent.ID, timeText(sent.ExpiresAt))
			if sent.Emailed {
				fmt.Fprintln(out, "The link was emailed. It is shown here once:")
			} else {
				fmt.Fprintln(out, "Pass on this link, which is shown once:")
			}
			fmt.Fprintf(out, "  %s\n", sent.Link)
			return nil
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "email address of the person to invite (required)")
	cmd.Flags().StringVar(&role, "role", "", "role in the account: owner, admin, developer or viewer (required)")
	cmd.MarkFlagRequired("email")
	cmd.MarkFlagRequired("role")
	return cmd
}

func newUserListCommand(af *adminFlags, account *int64) *cobra.Command {
	return &cobra.Command{
		Use:     "list --account ID",
		Short:   "List the account's users and pending invitations",
		Example: `  gatehouse user list --account 12 --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := userArgs(*account, args); err != nil {
				return err
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			out := struct {
				Users       []adminclient.User       `json:"users"`
				Invitations []adminclient.Invitation `json:"invitations"`
			}{Users: []adminclient.User{}}
			for after := int64(0); ; {
				page, err := api.Users(cmd.Context(), *account, pageSize, after)
				if err != nil {
					return err
				}
				out.Users = append(out.Users, page.Items...)
				if page.NextAfter == nil {
					break
				}
				after = *page.NextAfter
			}
			if out.Invitations, err = api.Invitations(cmd.Context(), *account); err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), out)
			}
			printUserTable(cmd.OutOrStdout(), out.Users)
			if len(out.Invitations) > 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "\nPending invitations:")
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tINVITED BY\tEXPIRES")
				for _, inv := range out.Invitations {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", inv.ID, inv.Email, inv.Role, inv.InvitedBy, timeText(inv.ExpiresAt))
				}
				tw.Flush()
			}
			return nil
		},
	}
}

func newUserShowCommand(af *adminFlags, account *int64) *cobra.Command {
	return &cobra.Command{
		Use:     "show --account ID USER_ID",
		Short:   "Show a user",
		Example: `  gatehouse user show --account 12 7`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := userArgs(*account, args)
			if err != nil {
				return err
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			u, err := api.User(cmd.Context(), *account, id)
			if err != nil {
				return err
			}
			return printUser(cmd, af, u)
		},
	}
}

func newUserUpdateCommand(af *adminFlags, account *int64) *cobra.Command {
	var role string
	var disabled bool
	cmd := &cobra.Command{
		Use:   "update --account ID USER_ID [--role ROLE] [--disabled=true|false]",
		Short: "Change a user's role, or disable or enable them",
		Example: `  gatehouse user update --account 12 7 --role admin
  gatehouse user update --account 12 7 --disabled=false`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := userArgs(*account, args)
			if err != nil {
				return err
			}
			var req adminclient.UpdateUserRequest
			if cmd.Flags().Changed("role") {
				req.Role = &role
			}
			if cmd.Flags().Changed("disabled") {
				req.Disabled = &disabled
			}
			if req.Role == nil && req.Disabled == nil {
				return fmt.Errorf("nothing to change: give --role or --disabled")
			}
			return updateUser(cmd, af, *account, id, req)
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "new role: owner, admin, developer or viewer")
	cmd.Flags().BoolVar(&disabled, "disabled", false, "disable (true) or enable (false) the user")
	return cmd
}

func newUserDisableCommand(af *adminFlags, account *int64) *cobra.Command {
	return &cobra.Command{
		Use:     "disable --account ID USER_ID",
		Short:   "Disable a user: they can no longer sign in, and their sessions end",
		Example: `  gatehouse user disable --account 12 7`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := userArgs(*account, args)
			if err != nil {
				return err
			}
			yes := true
			return updateUser(cmd, af, *account, id, adminclient.UpdateUserRequest{Disabled: &yes})
		},
	}
}

func newUserRemoveCommand(af *adminFlags, account *int64) *cobra.Command {
	return &cobra.Command{
		Use:     "remove --account ID USER_ID",
		Short:   "Remove a user from the account",
		Example: `  gatehouse user remove --account 12 7`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := userArgs(*account, args)
			if err != nil {
				return err
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			if err := api.RemoveUser(cmd.Context(), *account, id); err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), map[string]any{"id": id, "account_id": *account, "removed": true})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Removed user %d from account %d.\n", id, *account)
			return nil
		},
	}
}

func updateUser(cmd *cobra.Command, af *adminFlags, account, id int64, req adminclient.UpdateUserRequest) error {
	api, err := af.api()
	if err != nil {
		return err
	}
	u, err := api.UpdateUser(cmd.Context(), account, id, req)
	if err != nil {
		return err
	}
	return printUser(cmd, af, u)
}

func printUser(cmd *cobra.Command, af *adminFlags, u *adminclient.User) error {
	if af.json {
		return printJSON(cmd.OutOrStdout(), u)
	}
	printUserTable(cmd.OutOrStdout(), []adminclient.User{*u})
	return nil
}

// printUserTable writes users as a table.
func printUserTable(w io.Writer, users []adminclient.User) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tSTATUS\tCREATED")
	for _, u := range users {
		status := "active"
		if u.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, status, timeText(u.CreatedAt))
	}
	tw.Flush()
}
