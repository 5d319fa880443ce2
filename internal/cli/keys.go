package cli

import (
	"context"
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
		Short: "List, rotate, revoke and cancel an environment's signing keys",
		Long: `List and rotate the keys an environment signs its access tokens with.

A rotation publishes a new key in the JWKS at once ("next"); it starts signing
after the server's publication delay (signing_keys.publication_delay, default
1h), when the previous key is retired. A retired key stays published until
every token it signed has expired, then disappears. The server also rotates
on its own when the active key is signing_keys.rotate_after old (default 90
days).

If a key leaked: "keys rotate --now" makes a new key sign at once, then
"keys revoke KID" takes the leaked key out of the JWKS and makes every token
it signed inactive. "keys cancel KID" drops a pending next key.`,
		Example: `  gatehouse keys list --env production
  gatehouse keys rotate --env production
  gatehouse keys rotate --env sandbox --alg EdDSA --json
  gatehouse keys rotate --env production --now
  gatehouse keys revoke --env production KID
  gatehouse keys cancel --env production KID`,
	}
	af.register(cmd)
	cmd.AddCommand(newKeysListCommand(&af), newKeysRotateCommand(&af), newKeysRevokeCommand(&af), newKeysCancelCommand(&af))
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
	var now bool
	cmd := &cobra.Command{
		Use:   "rotate --env ENV [--alg ES256|EdDSA|RS256] [--now]",
		Short: "Publish a new signing key that takes over after the publication delay (or at once)",
		Long: `Start a rotation of an environment's signing key: a new key is generated and
published in the JWKS now, and becomes the signing key after the publication
delay. Fails while a rotation is already under way. Without --alg the new key
uses the environment's signing algorithm.

--now is for emergencies (a leaked key): the new key signs at once and
replaces a pending next key; the old key is retired but stays published
until its tokens expire (revoke it to end them). Trade-off: a resource
server that cached the JWKS before the new key existed refuses the new
tokens until it fetches the JWKS again (the JWKS is served with max-age 60;
verifiers that refetch on an unknown kid recover at once).`,
		Example: `  gatehouse keys rotate --env production
  gatehouse keys rotate --env sandbox --alg RS256
  gatehouse keys rotate --env production --now`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := af.api()
			if err != nil {
				return err
			}
			rotate := api.RotateSigningKey
			if now {
				rotate = api.RotateSigningKeyNow
			}
			res, err := rotate(cmd.Context(), env, alg)
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), res)
			}
			k := res.Key
			if k.ActivatesAt != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "Published key %s (%s) in %s; it starts signing at %s.\n\n",
					k.KeyID, k.Algorithm, env, timeText(*k.ActivatesAt))
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "Key %s (%s) signs the tokens of %s from now on. The previous key stays published until its tokens expire; revoke it to end them at once.\n\n",
					k.KeyID, k.Algorithm, env)
			}
			printSigningKeys(cmd.OutOrStdout(), res.Keys.Items)
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "environment, e.g. sandbox or production (required)")
	cmd.Flags().StringVar(&alg, "alg", "", "algorithm of the new key: ES256, EdDSA or RS256 (default: the environment's)")
	cmd.Flags().BoolVar(&now, "now", false, "the new key signs at once (emergency; see above)")
	cmd.MarkFlagRequired("env")
	return cmd
}

func newKeysRevokeCommand(af *adminFlags) *cobra.Command {
	return newKeyChangeCommand(af, "revoke",
		"Revoke a signing key: it leaves the JWKS and every token it signed is inactive",
		`Revoke a signing key (a retired or next key; the active key must be replaced
first with "keys rotate --now"). The key leaves the JWKS at once and every
token it signed is inactive at introspection. The revocation is kept for 90
days, the longest token lifetime, for revocation feeds.`,
		"Revoked key %s of %s.\n\n",
		func(api *adminclient.API) func(context.Context, string, string) (*adminclient.SigningKeyList, error) {
			return api.RevokeSigningKey
		})
}

func newKeysCancelCommand(af *adminFlags) *cobra.Command {
	return newKeyChangeCommand(af, "cancel",
		"Cancel a pending rotation: delete the next key before it signs",
		`Cancel a pending rotation by deleting its next key, which has not signed
anything yet. The active key goes on signing.`,
		"Cancelled pending key %s of %s.\n\n",
		func(api *adminclient.API) func(context.Context, string, string) (*adminclient.SigningKeyList, error) {
			return api.CancelSigningKey
		})
}

// newKeyChangeCommand returns `keys NAME --env ENV KID`, which applies one
// admin API call to a key and prints the keys after it.
func newKeyChangeCommand(af *adminFlags, name, short, long, done string,
	call func(*adminclient.API) func(context.Context, string, string) (*adminclient.SigningKeyList, error)) *cobra.Command {
	var env string
	cmd := &cobra.Command{
		Use:     name + " --env ENV KID",
		Short:   short,
		Long:    long,
		Example: "  gatehouse keys " + name + " --env production KID",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := af.api()
			if err != nil {
				return err
			}
			list, err := call(api)(cmd.Context(), env, args[0])
			if err != nil {
				return err
			}
			if af.json {
				return printJSON(cmd.OutOrStdout(), list)
			}
			fmt.Fprintf(cmd.OutOrStdout(), done, args[0], env)
			printSigningKeys(cmd.OutOrStdout(), list.Items)
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "environment, e.g. sandbox or production (required)")
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
