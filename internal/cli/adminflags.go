package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

// Defaults of the flags that point a command at a server.
const (
	defaultServer       = "http://127.0.0.1:8080"
	defaultAdminKeyFile = "./gatehouse-data/admin.key"
)

// httpTimeout bounds every request the command line makes.
const httpTimeout = 30 * time.Second

// adminFlags are the flags shared by the commands that call the admin API.
type adminFlags struct {
	server  string
	keyFile string
	json    bool
}

// register adds the shared flags to parent as persistent flags, and makes
// its subcommands take unset ones from GATEHOUSE_SERVER,
// GATEHOUSE_ADMIN_KEY_FILE and GATEHOUSE_JSON.
func (f *adminFlags) register(parent *cobra.Command) {
	fs := parent.PersistentFlags()
	fs.StringVar(&f.server, "server", defaultServer, "base URL of the Gatehouse server (env GATEHOUSE_SERVER)")
	fs.StringVar(&f.keyFile, "admin-key-file", defaultAdminKeyFile, "file holding the admin API key (env GATEHOUSE_ADMIN_KEY_FILE); GATEHOUSE_ADMIN_KEY, if set, is used instead")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of text (env GATEHOUSE_JSON)")
	parent.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		// Only the shared flags: a command's own flags (--name, --env, ...)
		// are not read from the environment.
		return bindEnv(cmd.InheritedFlags(), os.Getenv)
	}
}

// api returns a client of the admin API with adminKey's key.
func (f *adminFlags) api() (*adminclient.API, error) {
	key, err := f.adminKey()
	if err != nil {
		return nil, err
	}
	return adminclient.New(f.server, key, &http.Client{Timeout: httpTimeout}), nil
}

// adminKey returns the admin API key: GATEHOUSE_ADMIN_KEY if set, else the
// content of the key file without surrounding white space.
func (f *adminFlags) adminKey() (string, error) {
	key := strings.TrimSpace(os.Getenv("GATEHOUSE_ADMIN_KEY"))
	if key == "" {
		b, err := os.ReadFile(f.keyFile)
		if err != nil {
			return "", fmt.Errorf("read the admin API key: %w (use --admin-key-file or GATEHOUSE_ADMIN_KEY)", err)
		}
		if key = strings.TrimSpace(string(b)); key == "" {
			return "", fmt.Errorf("admin API key file %s is empty", f.keyFile)
		}
	}
	return key, nil
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// listOrDash joins a list for text output; an empty list shows as "-".
func listOrDash(list []string) string {
	if len(list) == 0 {
		return "-"
	}
	return strings.Join(list, ", ")
}

// timeText formats a time for text output.
func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339) }
