package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

// clientKeyFlags are the flags that register private_key_jwt keys.
type clientKeyFlags struct {
	jwksFile string
	pemFile  string
}

func (f *clientKeyFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.jwksFile, "jwks-file", "", "JWK Set (JSON) of the public keys the client signs private_key_jwt assertions with")
	fs.StringVar(&f.pemFile, "public-key-file", "", "PEM file of the public key(s) the client signs private_key_jwt assertions with")
	cmd.MarkFlagsMutuallyExclusive("jwks-file", "public-key-file")
}

// read returns the keys the flags name; both empty when no flag is set.
func (f *clientKeyFlags) read() (adminclient.SetClientKeysRequest, error) {
	var req adminclient.SetClientKeysRequest
	if f.jwksFile != "" {
		b, err := os.ReadFile(f.jwksFile)
		if err != nil {
			return req, fmt.Errorf("read --jwks-file: %w", err)
		}
		if !json.Valid(b) {
			return req, fmt.Errorf("--jwks-file %s is not JSON", f.jwksFile)
		}
		req.JWKS = b
	}
	if f.pemFile != "" {
		b, err := os.ReadFile(f.pemFile)
		if err != nil {
			return req, fmt.Errorf("read --public-key-file: %w", err)
		}
		req.PublicKeyPEM = string(b)
	}
	return req, nil
}

func newClientSetKeysCommand(af *adminFlags) *cobra.Command {
	var (
		kf     clientKeyFlags
		remove bool
	)
	cmd := &cobra.Command{
		Use:   "set-keys CLIENT_ID (--jwks-file FILE | --public-key-file FILE | --remove)",
		Short: "Register the public keys a client signs private_key_jwt assertions with",
		Long: `Replace the public keys a client authenticates with by private_key_jwt (RFC 7523):
it signs a short-lived JWT with its private key and sends it as client_assertion
instead of a secret. Give a JWK Set or a PEM public key; --remove deletes the
keys, after which only the client's secrets work.

Only public keys are accepted: RSA (2048 bits or more), EC P-256/P-384, Ed25519.`,
		Example: `  gatehouse client set-keys 3fJ9kQ2xVb7LmN0pR5sT --public-key-file acme.pub.pem
  gatehouse client set-keys 3fJ9kQ2xVb7LmN0pR5sT --jwks-file acme.jwks.json --json
  gatehouse client set-keys 3fJ9kQ2xVb7LmN0pR5sT --remove`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := kf.read()
			if err != nil {
				return err
			}
			if (req.JWKS == nil && req.PublicKeyPEM == "") != remove {
				return fmt.Errorf("give --jwks-file or --public-key-file, or --remove")
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			c, err := api.SetClientKeys(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), c)
			}
			if remove {
				fmt.Fprintf(cmd.OutOrStdout(), "Removed the keys of client %s.\n", c.ClientID)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "Registered the keys of client %s.\n", c.ClientID)
			}
			printClient(cmd.OutOrStdout(), c)
			return nil
		},
	}
	kf.register(cmd)
	cmd.Flags().BoolVar(&remove, "remove", false, "remove the client's keys")
	cmd.MarkFlagsMutuallyExclusive("jwks-file", "remove")
	cmd.MarkFlagsMutuallyExclusive("public-key-file", "remove")
	return cmd
}

// writeClientKeys writes a line about a client's private_key_jwt keys.
func writeClientKeys(w io.Writer, c *adminclient.Client) {
	switch {
	case len(c.JWKS) > 0:
		var set struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		json.Unmarshal(c.JWKS, &set)
		kids := make([]string, len(set.Keys))
		for i, k := range set.Keys {
			kids[i] = k.Kid
		}
		fmt.Fprintf(w, "private_key_jwt keys:\tJWK Set, kid %s\n", listOrDash(kids))
	case c.PublicKeyPEM != "":
		fmt.Fprintf(w, "private_key_jwt keys:\tPEM public key\n")
	}
}
