package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

// newKeysCommand returns `gatehouse keys`, which lists and rotates
// environments' signing keys through the admin API.
func newKeysCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "List and rotate an environment's signing keys",
		Long: `List and rotate the keys an environment signs its access tokens with.

A rotation publishes a new key in the JWKS at once ("next"); it starts signing
after the server's publication delay (signing_keys.publication_delay, default
1h), when the previous key is retired. A retired key stays published until
every token it signed has expired, then disappears. The server also rotates
on its own when the active key is signing_keys.rotate_after old (default 90
days).`,
		Example: `  gatehouse keys list --env production
  gatehouse keys rotate --env production
  gatehouse keys rotate --env sandbox --alg EdDSA --json`,
	}
	af.register(cmd)
	cmd.AddCommand(newKeysListCommand(&af), newKeysRotateCommand(&af))
	return cmd
}

func newKeysListCommand(af *adminFlags) *cobra.Command {
	var env string
	cmd := &cobra.Command{
		Use:     "list --env ENV",
		Short:   "List an environment's signing keys and their rotation state",
		Example: `  gatehouse keys list --env production --json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := af.api()
			if err != nil {
				return err
			}
			list, err := api.SigningKeys(cmd.Context(), env)
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), list)
			}
			printSigningKeys(cmd.OutOrStdout(), list.Items)
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "environment, e.g. sandbox or production (required)")
	cmd.MarkFlagRequired("env")
	return cmd
}

func newKeysRotateCommand(af *adminFlags) *cobra.Command {
	var env, alg string
	cmd := &cobra.Command{
		Use:   "rotate --env ENV [--alg ES256|EdDSA|RS256]",
		Short: "Publish a new signing key that takes over after the publication delay",
		Long: `Start a rotation of an environment's signing key: a new key is generated and
published in the JWKS now, and becomes the signing key after the publication
delay. Fails while a rotation is already under way. Without --alg the new key
uses the environment's signing algorithm.`,
		Example: `  gatehouse keys rotate --env production
  gatehouse keys rotate --env sandbox --alg RS256`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := af.api()
			if err != nil {
				return err
			}
			res, err := api.RotateSigningKey(cmd.Context(), env, alg)
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), res)
			}
			k := res.Key
			fmt.Fprintf(cmd.OutOrStdout(), "Published key %s (%s) in %s; it starts signing at %s.\n\n",
				k.KeyID, k.Algorithm, env, timeText(*k.ActivatesAt))
			printSigningKeys(cmd.OutOrStdout(), res.Keys.Items)
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "environment, e.g. sandbox or production (required)")
	cmd.Flags().StringVar(&alg, "alg", "", "algorithm of the new key: ES256, EdDSA or RS256 (default: the environment's)")
	cmd.MarkFlagRequired("env")
	return cmd
}

// printSigningKeys writes keys as a table.
func printSigningKeys(w io.Writer, list []adminclient.SigningKey) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tSTATE\tCREATED\tACTIVATES\tREMOVED FROM JWKS")
	for _, k := range list {
		activates, remove := "-", "-"
		if k.ActivatesAt != nil {
			activates = timeText(*k.ActivatesAt)
		}
		if k.RemoveAt != nil {
			remove = timeText(*k.RemoveAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.KeyID, k.Algorithm, k.State, timeText(k.CreatedAt), activates, remove)
	}
	tw.Flush()
}
