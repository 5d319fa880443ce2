package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestEveryAdminAndTokenCommandHasHelp(t *testing.T) {
	root := NewRootCommand()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		t.Run(c.CommandPath()+" has a short description, an example and --help", func(t *testing.T) {
			if c.Short == "" || c.Example == "" {
				t.Errorf("Short %q, Example %q", c.Short, c.Example)
			}
			out, _, err := run(t, append(strings.Fields(c.CommandPath())[1:], "--help")...)
			if err != nil || !strings.Contains(out, "Examples:") {
				t.Errorf("--help: %v\n%s", err, out)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	for _, c := range root.Commands() {
		switch c.Name() {
		case "client", "account", "user", "token", "env":
			walk(c)
		}
	}
}

func TestAnUnknownSubcommandFails(t *testing.T) {
	for _, args := range [][]string{{"audit", "list"}, {"keys", "remove"}, {"env", "delete", "sandbox"}, {"nosuch"}} {
		if _, _, err := run(t, args...); err == nil || !strings.Contains(err.Error(), "unknown command") {
			t.Errorf("gatehouse %s: %v, want an unknown-command error", strings.Join(args, " "), err)
		}
	}
	if out, _, err := run(t, "audit"); err != nil || !strings.Contains(out, "tail") {
		t.Errorf("gatehouse audit alone: %v, want its help\n%s", err, out)
	}
}
