package dashboard

import "github.com/gatehouse-dev/gatehouse"

// credentialFlag marks a credential brought in from another server that
// its owner should rotate: a badge in the credentials list and, on the
// credential's page, the badge with what to do (Nudge).
type credentialFlag struct {
	Kind  string // must-rotate, legacy-key or imported-hash: the badge's class and data-flag
	Label string
	Nudge string
}

// credentialFlags returns c's flags, the most urgent first: a must-rotate
// client gets no token until it is rotated; a legacy key and a secret under
// an imported hash work, but are weaker than a Gatehouse secret.
func credentialFlags(c *gatehouse.Client) []credentialFlag {
	var flags []credentialFlag
	if c.MustRotate {
		flags = append(flags, credentialFlag{Kind: "must-rotate", Label: "Must rotate",
			Nudge: "Imported without its secret: rotate to issue one. Until then this credential gets no token " +
				"(its programs are refused as with a wrong secret)."})
	}
	if gatehouse.IsLegacyKeyClient(c.ID) {
		flags = append(flags, credentialFlag{Kind: "legacy-key", Label: "Legacy API key",
			Nudge: "Another server's API key, imported as it was: it works, but carries no Gatehouse prefix or " +
				"checksum, so secret scanners cannot find it if it leaks. Rotate to issue a Gatehouse secret and API key."})
	}
	for _, s := range c.Secrets {
		if s.Imported != "" {
			flags = append(flags, credentialFlag{Kind: "imported-hash", Label: "Imported secret",
				Nudge: "A secret imported under another server's " + gatehouse.ImportedHashScheme(s.Imported) +
					" hash: it works, and a strong one moves to Gatehouse's own hash on first use; a weak one stays " +
					"under the slow hash. Rotate to issue a Gatehouse secret."})
			break
		}
	}
	return flags
}
