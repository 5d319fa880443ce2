package cli

import "github.com/spf13/cobra"

// newServeCommand is a placeholder until the command is written.
func newServeCommand() *cobra.Command {
	return &cobra.Command{Use: "serve", Hidden: true}
}
