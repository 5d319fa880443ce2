package tokens

import (
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/gatehouse-dev/gatehouse/internal/masterkey"
)

// Opaque access tokens are self-contained: the same claims a JWT carries,
// encrypted and authenticated with XChaCha20-Poly1305 under a key derived
// from the master key for the environment. Issuing one writes nothing; a
// holder learns nothing from it; only the server (introspection, the admin
// API) can read it. docs/tokens.md explains the choice.
//
// A token is OpaquePrefix followed by base64url (no padding) of
//
//	version (1 byte) || master key id (4) || nonce (24) || ciphertext || tag (16)
//
// and the associated data binds the prefix, the environment and the
// version and key id, so a token of one environment never opens in another.

// OpaquePrefix starts every opaque access token, so that secret scanners
// can find leaked ones and the validator tells them from JWTs. It matches no
// other product's token pattern (docs/tokens.md).
const OpaquePrefix = "gatehouse_at_"

// LegacyOpaquePrefix started opaque tokens issued by earlier versions. It
// is GitHub's OAuth-token prefix, so scanners took Gatehouse tokens for
// GitHub's; tokens that carry it are still read until they expire, and no
// new token gets it.
const LegacyOpaquePrefix = "gho_"

// IsOpaque reports whether token has the shape of an opaque token (either
// prefix) rather than of a JWT.
func IsOpaque(token string) bool {
	return strings.HasPrefix(token, OpaquePrefix) || strings.HasPrefix(token, LegacyOpaquePrefix)
}

// opaqueVersion is the layout version of opaque tokens.
const opaqueVersion = 1

// maxTokenLength bounds the tokens the validator looks at; Gatehouse's own
// tokens are well under 2 KiB.
const maxTokenLength = 8 << 10

// errNoMasterKey is returned when an opaque token is to be issued or read
// by an issuer configured without a master key.
var errNoMasterKey = errors.New("opaque tokens need a master key, and none is configured")

// opaqueCodec seals and opens opaque tokens. Its AEADs are made once per
// environment and master key, and are safe for concurrent use.
type opaqueCodec struct {
	keyring *masterkey.Keyring
	rand    io.Reader
	aeads   sync.Map // environment + "\x00" + key id → cipher.AEAD
}

func newOpaqueCodec(k *masterkey.Keyring, r io.Reader) *opaqueCodec {
	return &opaqueCodec{keyring: k, rand: r}
}

const opaqueHeader = 1 + len(masterkey.KeyID{})

func (o *opaqueCodec) aead(env string, kid masterkey.KeyID) (cipher.AEAD, error) {
	if o == nil || o.keyring == nil {
		return nil, errNoMasterKey
	}
	name := env + "\x00" + string(kid[:])
	if a, ok := o.aeads.Load(name); ok {
		return a.(cipher.AEAD), nil
	}
	// Only ids the keyring holds get this far, so the map stays small.
	key, err := o.keyring.DeriveKey(kid, "opaque-token/v1/"+env)
	if err != nil {
		return nil, err
	}
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	o.aeads.Store(name, a)
	return a, nil
}

// seal returns the opaque token holding claims for env.
func (o *opaqueCodec) seal(env string, claims []byte) (string, error) {
	if o == nil || o.keyring == nil {
		return "", errNoMasterKey
	}
	kid := o.keyring.Current()
	aead, err := o.aead(env, kid)
	if err != nil {
		return "", err
	}
	buf := make([]byte, opaqueHeader+aead.NonceSize(), opaqueHeader+aead.NonceSize()+len(claims)+aead.Overhead())
	buf[0] = opaqueVersion
	copy(buf[1:opaqueHeader], kid[:])
	nonce := buf[opaqueHeader:]
	if _, err := io.ReadFull(o.rand, nonce); err != nil {
		return "", fmt.Errorf("read randomness: %w", err)
	}
	sealed := aead.Seal(buf, nonce, claims, opaqueAAD(OpaquePrefix, env, buf[:opaqueHeader]))
	return OpaquePrefix + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// open returns the claims in an opaque token of env, or an error if it is
// not one: malformed, altered, of another environment, or sealed under a
// master key this server does not hold.
func (o *opaqueCodec) open(env, token string) ([]byte, error) {
	prefix := OpaquePrefix
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok {
		prefix = LegacyOpaquePrefix
		rest, ok = strings.CutPrefix(token, prefix)
	}
	if !ok || len(token) > maxTokenLength {
		return nil, errors.New("not an opaque token")
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) < opaqueHeader+chacha20poly1305.NonceSizeX+chacha20poly1305.Overhead || raw[0] != opaqueVersion {
		return nil, errors.New("malformed opaque token")
	}
	var kid masterkey.KeyID
	copy(kid[:], raw[1:opaqueHeader])
	aead, err := o.aead(env, kid)
	if err != nil {
		return nil, err
	}
	nonce := raw[opaqueHeader : opaqueHeader+aead.NonceSize()]
	plain, err := aead.Open(nil, nonce, raw[opaqueHeader+aead.NonceSize():], opaqueAAD(prefix, env, raw[:opaqueHeader]))
	if err != nil {
		return nil, errors.New("opaque token does not open")
	}
	return plain, nil
}

// opaqueAAD is the associated data of a token of env with prefix and
// header head.
func opaqueAAD(prefix, env string, head []byte) []byte {
	out := make([]byte, 0, len(prefix)+len(env)+1+len(head))
	out = append(out, prefix...)
	out = append(out, env...)
	out = append(out, 0)
	return append(out, head...)
}
