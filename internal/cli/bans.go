package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

// newBansCommand returns `gatehouse bans`, which lists and lifts the IP
// bans of the token endpoint through the admin API.
func newBansCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "bans",
		Short: "List and lift IP bans of the token endpoint",
		Long: `An IP address that fails client authentication too often (brute force) or keeps
ignoring rate limits is banned for a while: every token request from it gets
429 slow_down. IPv6 addresses are banned by their /64. See docs/protection.md.`,
		Example: `  gatehouse bans list
  gatehouse bans lift 203.0.113.7`,
	}
	af.register(cmd)
	cmd.AddCommand(newBansListCommand(&af), newBansLiftCommand(&af))
	return cmd
}

func newBansListCommand(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the bans in force",
		Example: `  gatehouse bans list --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := af.api()
			if err != nil {
				return err
			}
			list, err := api.Bans(cmd.Context())
			if err != nil {
				return err
			}
			if af.json {
				if list == nil {
					list = []adminclient.Ban{}
				}
				return printJSON(cmd.OutOrStdout(), list)
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "No bans in force.")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SUBJECT\tREASON\tENVIRONMENT\tSINCE\tUNTIL")
			for _, b := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", b.Subject, b.Reason, orDash(b.Environment), timeText(b.CreatedAt), timeText(b.ExpiresAt))
			}
			return tw.Flush()
		},
	}
}

func newBansLiftCommand(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "lift IP",
		Short: "Lift the ban of an IP address (an IPv6 address lifts its /64)",
		Example: `  gatehouse bans lift 203.0.113.7
  gatehouse bans lift 2001:db8:1:2::/64`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := af.api()
			if err != nil {
				return err
			}
			if err := api.LiftBan(cmd.Context(), args[0]); err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), map[string]any{"subject": args[0], "lifted": true})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Lifted the ban of %s.\n", args[0])
			return nil
		},
	}
}
