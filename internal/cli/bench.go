package cli

import "github.com/spf13/cobra"

// newBenchCommand is a placeholder until the command is written.
func newBenchCommand() *cobra.Command {
	return &cobra.Command{Use: "bench", Hidden: true}
}
