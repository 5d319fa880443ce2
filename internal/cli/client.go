package cli

import "github.com/spf13/cobra"

// newClientCommand is a placeholder until the command is written.
func newClientCommand() *cobra.Command {
	return &cobra.Command{Use: "client", Hidden: true}
}
