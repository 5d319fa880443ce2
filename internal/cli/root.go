package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Execute runs the command line with args and returns the process exit code.
func Execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := NewRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "gatehouse:", err)
		var ee exitError
		if errors.As(err, &ee) {
			return int(ee)
		}
		return 1
	}
	return 0
}

// exitError makes Execute return a specific exit code.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// NewRootCommand returns the gatehouse command with every subcommand.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "gatehouse",
		Short:         "Gatehouse: a self-hosted OAuth 2.0 authorization server for machine-to-machine APIs",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newServeCommand(),
		newMigrateCommand(),
		newClientCommand(),
		newKeysCommand(),
		newEnvCommand(),
		newAccountCommand(),
		newUserCommand(),
		newTokenCommand(),
		newBenchCommand(),
		newBansCommand(),
		newAuditCommand(),
		newGatewayCommand(),
		newImportCommand(),
		newExportCommand(),
		newApplyCommand(),
	)
	refuseUnknownSubcommands(root)
	return root
}

// refuseUnknownSubcommands makes every command that only groups others
// (gatehouse audit, gatehouse keys, …) fail on a subcommand it does not
// have, instead of printing its help and exiting 0: a script that calls
// "gatehouse audit list" must see the error. Without arguments it still
// prints its help.
func refuseUnknownSubcommands(c *cobra.Command) {
	for _, sub := range c.Commands() {
		refuseUnknownSubcommands(sub)
	}
	if !c.HasSubCommands() || c.Run != nil || c.RunE != nil {
		return
	}
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return cmd.Help()
		}
		var names []string
		for _, s := range cmd.Commands() {
			if s.IsAvailableCommand() {
				names = append(names, s.Name())
			}
		}
		return fmt.Errorf("unknown command %q for %q; its commands are: %s", args[0], cmd.CommandPath(), strings.Join(names, ", "))
	}
}

// bindEnv gives every flag of fs that was not set on the command line the
// value of the environment variable GATEHOUSE_<FLAG_NAME>, if set
// (e.g. --admin-key-file from GATEHOUSE_ADMIN_KEY_FILE).
func bindEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		name := "GATEHOUSE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", name, e)
			}
		}
	})
	return err
}
