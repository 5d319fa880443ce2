package masterkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Size is the length of a master key in bytes (AES-256).
const Size = 32

// KeyID names a master key without revealing it: the first four bytes of
// an HMAC of a fixed label under the key.
type KeyID [4]byte

// String returns the key id in hex.
func (id KeyID) String() string { return hex.EncodeToString(id[:]) }

// ErrUnknownKey is returned when data was sealed under a master key the
// keyring does not hold.
var ErrUnknownKey = errors.New("sealed under a master key this server does not have")

// ErrOpen is returned when sealed data does not decrypt: it was altered,
// truncated, or sealed for another purpose or object.
var ErrOpen = errors.New("sealed data does not open")

// Keyring is the current master key and older ones that still decrypt. It
// is safe for concurrent use.
type Keyring struct {
	current KeyID
	keys    map[KeyID][]byte
}

// New returns a keyring whose current key is current; previous keys only
// decrypt. Every key must be Size bytes.
func New(current []byte, previous ...[]byte) (*Keyring, error) {
	k := &Keyring{keys: map[KeyID][]byte{}}
	for i, key := range append([][]byte{current}, previous...) {
		if len(key) != Size {
			return nil, fmt.Errorf("master key %d is %d bytes; it must be %d (AES-256)", i+1, len(key), Size)
		}
		id := keyID(key)
		if _, dup := k.keys[id]; dup {
			continue
		}
		k.keys[id] = append([]byte(nil), key...)
		if i == 0 {
			k.current = id
		}
	}
	return k, nil
}

// Parse reads keys written as standard base64 (with or without padding),
// separated by commas or new lines; the first is the current key.
func Parse(s string) (*Keyring, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' || r == '\t' })
	if len(fields) == 0 {
		return nil, errors.New("no master key given")
	}
	keys := make([][]byte, 0, len(fields))
	for i, f := range fields {
		b, err := base64.StdEncoding.DecodeString(f)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(f)
		}
		if err != nil {
			return nil, fmt.Errorf("master key %d is not base64", i+1)
		}
		keys = append(keys, b)
	}
	return New(keys[0], keys[1:]...)
}

// Generate returns a new random master key read from r, base64-encoded.
func Generate(r io.Reader) (string, error) {
	b := make([]byte, Size)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read randomness: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func keyID(key []byte) KeyID {
	m := hmac.New(sha256.New, key)
	io.WriteString(m, "gatehouse/master-key-id/v1")
	var id KeyID
	copy(id[:], m.Sum(nil))
	return id
}

// Current returns the id of the key that seals and derives new keys.
func (k *Keyring) Current() KeyID { return k.current }

// Has reports whether the keyring holds the key with id.
func (k *Keyring) Has(id KeyID) bool { _, ok := k.keys[id]; return ok }

// DeriveKey returns the 32-byte key for purpose under the master key id
// (HKDF-SHA256 with purpose as info). Different purposes give independent
// keys, so one master key serves them all.
func (k *Keyring) DeriveKey(id KeyID, purpose string) ([]byte, error) {
	master, ok := k.keys[id]
	if !ok {
		return nil, fmt.Errorf("master key %s: %w", id, ErrUnknownKey)
	}
	return hkdf.Key(sha256.New, master, nil, "gatehouse/"+purpose, 32)
}

// sealVersion is the first byte of what Seal returns.
const sealVersion = 1

// Seal encrypts plaintext with AES-256-GCM under the key derived for
// purpose from the current master key, binding it to aad (what the data
// belongs to, e.g. a client id). The nonce is read from r. The result is
// version (1 byte) || key id (4) || nonce (12) || ciphertext and tag.
func (k *Keyring) Seal(r io.Reader, purpose string, plaintext, aad []byte) ([]byte, error) {
	aead, err := k.gcm(k.current, purpose)
	if err != nil {
		return nil, err
	}
	head := 1 + len(KeyID{})
	out := make([]byte, head+aead.NonceSize(), head+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealVersion
	copy(out[1:head], k.current[:])
	nonce := out[head:]
	if _, err := io.ReadFull(r, nonce); err != nil {
		return nil, fmt.Errorf("read randomness: %w", err)
	}
	return aead.Seal(out, nonce, plaintext, sealAAD(out[:head], aad)), nil
}

// Open decrypts what Seal returned for the same purpose and aad.
func (k *Keyring) Open(purpose string, sealed, aad []byte) ([]byte, error) {
	head := 1 + len(KeyID{})
	if len(sealed) < head || sealed[0] != sealVersion {
		return nil, ErrOpen
	}
	var id KeyID
	copy(id[:], sealed[1:head])
	aead, err := k.gcm(id, purpose)
	if err != nil {
		return nil, err
	}
	if len(sealed) < head+aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	nonce := sealed[head : head+aead.NonceSize()]
	plain, err := aead.Open(nil, nonce, sealed[head+aead.NonceSize():], sealAAD(sealed[:head], aad))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// KeyIDOf returns the id of the master key that sealed data, if data has
// the shape Seal gives.
func KeyIDOf(sealed []byte) (KeyID, bool) {
	var id KeyID
	if len(sealed) < 1+len(id) || sealed[0] != sealVersion {
		return id, false
	}
	copy(id[:], sealed[1:])
	return id, true
}

func (k *Keyring) gcm(id KeyID, purpose string) (cipher.AEAD, error) {
	key, err := k.DeriveKey(id, "seal/"+purpose)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealAAD authenticates the header (version and key id) with the caller's
// associated data.
func sealAAD(head, aad []byte) []byte {
	out := make([]byte, 0, len(head)+len(aad))
	return append(append(out, head...), aad...)
}
