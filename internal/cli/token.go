package cli

import "github.com/spf13/cobra"

// newTokenCommand is a placeholder until the command is written.
func newTokenCommand() *cobra.Command {
	return &cobra.Command{Use: "token", Hidden: true}
}
