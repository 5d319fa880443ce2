package gatehouse

import (
	"cmp"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"math"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// An imported secret hash is the form another server stored a client secret
// in, kept as it was imported so that the client's existing secret keeps
// working. The accepted forms are:
//
//   - bcrypt: "$2a$…", "$2b$…", "$2y$…";
//   - PBKDF2 in the modular-crypt forms of Ory (Hydra, Kratos)
//     "$pbkdf2-sha256$i=25000,l=32$<salt>$<hash>" (unpadded standard base64),
//     of passlib "$pbkdf2-sha256$25000$<salt>$<hash>" (adapted base64, "."
//     for "+"), and of Django "pbkdf2_sha256$25000$<salt>$<hash>" (the salt
//     as written, the hash in padded base64); sha1, sha256 and sha512;
//   - a hex SHA-256 or SHA-512 digest of the salt followed by the secret:
//     "sha256$<hex>" (no salt) or "sha256$<salt>$<hex>", likewise "sha512".
//
// An imported secret is re-hashed into the native SHA-256 form on its first
// successful use when it is strong enough for a fast hash (StrongSecret);
// otherwise it stays under its imported hash, and a SecretMemo keeps repeated
// presentations fast.

// ParseImportedHash checks that s is an imported secret hash of a known form
// and returns it normalised (surrounding spaces removed).
func ParseImportedHash(s string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := parseImported(s); err != nil {
		return "", err
	}
	return s, nil
}

// ImportedHashSlow reports whether checking a secret against the imported
// hash s is slow by design (bcrypt, PBKDF2), as against the salted SHA-2
// forms, which cost one fast hash.
func ImportedHashSlow(s string) bool {
	scheme := ImportedHashScheme(s)
	return scheme == "bcrypt" || strings.HasPrefix(scheme, "pbkdf2-")
}

// ImportedHashScheme returns the name of the form of an imported hash:
// "bcrypt", "pbkdf2-sha256", "sha512" and so on; "" if s is not one.
func ImportedHashScheme(s string) string {
	h, err := parseImported(s)
	if err != nil {
		return ""
	}
	return h.scheme
}

// VerifyImportedHash reports whether secret matches the imported hash
// encoded. A malformed hash matches nothing.
func VerifyImportedHash(encoded, secret string) bool {
	h, err := parseImported(encoded)
	if err != nil {
		return false
	}
	return h.verify(secret)
}

// StrongSecret reports whether a secret carries at least 128 bits by a
// generous estimate: length times the bits of the smallest usual character
// set holding it (hex, letters, digits, printable ASCII). A secret of fewer
// than 8 distinct characters is weak whatever its length.
func StrongSecret(secret string) bool {
	var lower, upper, digit, other, hexOnly = false, false, false, false, true
	distinct := map[rune]bool{}
	for _, r := range secret {
		distinct[r] = true
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		default:
			other = true
		}
		if !strings.ContainsRune("0123456789abcdefABCDEF-", r) {
			hexOnly = false
		}
	}
	if len(distinct) < 8 {
		return false
	}
	set := 0
	for _, c := range []struct {
		used bool
		size int
	}{{lower, 26}, {upper, 26}, {digit, 10}, {other, 33}} {
		if c.used {
			set += c.size
		}
	}
	bits := math.Log2(float64(set))
	n := len(secret)
	if hexOnly {
		bits, n = 4, n-strings.Count(secret, "-")
	}
	return float64(n)*bits >= 128
}

type importedHash struct {
	scheme string
	// bcrypt
	bcrypt []byte
	// pbkdf2 and salted digests
	newHash func() hash.Hash
	iter    int
	salt    []byte
	sum     []byte
}

func (h *importedHash) verify(secret string) bool {
	switch {
	case h.bcrypt != nil:
		return bcrypt.CompareHashAndPassword(h.bcrypt, []byte(secret)) == nil
	case h.iter > 0:
		got, err := pbkdf2.Key(h.newHash, secret, h.salt, h.iter, len(h.sum))
		return err == nil && subtle.ConstantTimeCompare(got, h.sum) == 1
	}
	d := h.newHash()
	d.Write(h.salt)
	d.Write([]byte(secret))
	return subtle.ConstantTimeCompare(d.Sum(nil), h.sum) == 1
}

// maxPBKDF2Iterations bounds the work one presentation can cost.
const maxPBKDF2Iterations = 10_000_000

func errImported(format string, args ...any) error {
	return Errorf(EINVALID, "secret_hash: "+format, args...)
}

func parseImported(s string) (*importedHash, error) {
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		if _, err := bcrypt.Cost([]byte(s)); err != nil || len(s) != 60 {
			return nil, errImported("not a valid bcrypt hash")
		}
		return &importedHash{scheme: "bcrypt", bcrypt: []byte(s)}, nil
	case strings.HasPrefix(s, "$pbkdf2"):
		return parseModularPBKDF2(s)
	case strings.HasPrefix(s, "pbkdf2_"):
		return parseDjangoPBKDF2(s)
	case strings.HasPrefix(s, "sha256$"), strings.HasPrefix(s, "sha512$"):
		return parseDigest(s)
	}
	return nil, errImported("unknown form; use bcrypt ($2a$, $2b$, $2y$), PBKDF2 ($pbkdf2-sha256$…, pbkdf2_sha256$…) or sha256$[salt$]hex, sha512$[salt$]hex")
}

func pbkdf2Hash(name string) (func() hash.Hash, bool) {
	switch name {
	case "", "sha1":
		return sha1.New, true
	case "sha256":
		return sha256.New, true
	case "sha512":
		return sha512.New, true
	}
	return nil, false
}

// parseModularPBKDF2 reads "$pbkdf2[-alg]$i=N,l=L$salt$hash" (Ory) and
// "$pbkdf2[-alg]$N$salt$hash" (passlib).
func parseModularPBKDF2(s string) (*importedHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 5 || parts[0] != "" {
		return nil, errImported("a PBKDF2 hash has the form $pbkdf2-<alg>$<iterations>$<salt>$<hash>")
	}
	alg := strings.TrimPrefix(strings.TrimPrefix(parts[1], "pbkdf2"), "-")
	newHash, ok := pbkdf2Hash(alg)
	if !ok {
		return nil, errImported("unknown PBKDF2 digest %q", alg)
	}
	h := &importedHash{scheme: "pbkdf2-" + cmp.Or(alg, "sha1"), newHash: newHash}
	enc := base64.RawStdEncoding
	if strings.HasPrefix(parts[2], "i=") { // Ory: i=N,l=L, standard base64
		for _, kv := range strings.Split(parts[2], ",") {
			k, v, _ := strings.Cut(kv, "=")
			if k == "i" {
				h.iter, _ = strconv.Atoi(v)
			}
		}
	} else { // passlib: adapted base64
		h.iter, _ = strconv.Atoi(parts[2])
		parts[3] = strings.ReplaceAll(parts[3], ".", "+")
		parts[4] = strings.ReplaceAll(parts[4], ".", "+")
	}
	var err1, err2 error
	h.salt, err1 = enc.DecodeString(strings.TrimRight(parts[3], "="))
	h.sum, err2 = enc.DecodeString(strings.TrimRight(parts[4], "="))
	return h.checkPBKDF2(err1, err2)
}

// parseDjangoPBKDF2 reads "pbkdf2_<alg>$N$salt$base64hash".
func parseDjangoPBKDF2(s string) (*importedHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 4 {
		return nil, errImported("a PBKDF2 hash has the form pbkdf2_<alg>$<iterations>$<salt>$<hash>")
	}
	alg := strings.TrimPrefix(parts[0], "pbkdf2_")
	newHash, ok := pbkdf2Hash(alg)
	if !ok || alg == "" {
		return nil, errImported("unknown PBKDF2 digest %q", alg)
	}
	h := &importedHash{scheme: "pbkdf2-" + alg, newHash: newHash, salt: []byte(parts[2])}
	h.iter, _ = strconv.Atoi(parts[1])
	var err error
	h.sum, err = base64.StdEncoding.DecodeString(parts[3])
	return h.checkPBKDF2(nil, err)
}

func (h *importedHash) checkPBKDF2(errs ...error) (*importedHash, error) {
	for _, err := range errs {
		if err != nil {
			return nil, errImported("the salt and hash of a PBKDF2 hash must be base64")
		}
	}
	if h.iter < 1 || h.iter > maxPBKDF2Iterations {
		return nil, errImported("PBKDF2 iterations must be between 1 and %d", maxPBKDF2Iterations)
	}
	if len(h.sum) < 16 || len(h.salt) == 0 {
		return nil, errImported("a PBKDF2 hash needs a salt and at least 16 bytes of hash")
	}
	return h, nil
}

// parseDigest reads "sha256$[salt$]hex" and "sha512$[salt$]hex".
func parseDigest(s string) (*importedHash, error) {
	parts := strings.Split(s, "$")
	h := &importedHash{scheme: parts[0], newHash: sha256.New}
	size := sha256.Size
	if parts[0] == "sha512" {
		h.newHash, size = sha512.New, sha512.Size
	}
	var digest string
	switch len(parts) {
	case 2:
		digest = parts[1]
	case 3:
		h.salt, digest = []byte(parts[1]), parts[2]
	default:
		return nil, errImported("a digest has the form %s$<hex> or %s$<salt>$<hex>", parts[0], parts[0])
	}
	sum, err := hex.DecodeString(digest)
	if err != nil || len(sum) != size {
		return nil, errImported("a %s digest is %d hex characters", parts[0], 2*size)
	}
	h.sum = sum
	return h, nil
}
