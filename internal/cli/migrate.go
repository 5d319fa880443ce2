package cli

import "github.com/spf13/cobra"

// newMigrateCommand is a placeholder until the command is written.
func newMigrateCommand() *cobra.Command {
	return &cobra.Command{Use: "migrate", Hidden: true}
}
