package cli

import "github.com/spf13/cobra"

// newAccountCommand is a placeholder until the command is written.
func newAccountCommand() *cobra.Command {
	return &cobra.Command{Use: "account", Hidden: true}
}
