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
