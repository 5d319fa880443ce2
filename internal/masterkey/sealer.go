package masterkey

import "io"

// Sealer seals data of one purpose under a keyring's current master key:
// the form in which storage keeps secrets it must read again, such as the
// private keys of signing keys.
type Sealer struct {
	keys    *Keyring
	purpose string
	rand    io.Reader
}

// Sealer returns a Sealer for purpose, reading nonces from r.
func (k *Keyring) Sealer(purpose string, r io.Reader) *Sealer {
	return &Sealer{keys: k, purpose: purpose, rand: r}
}

// Seal encrypts plaintext, bound to aad (what it belongs to).
func (s *Sealer) Seal(plaintext, aad []byte) ([]byte, error) {
	return s.keys.Seal(s.rand, s.purpose, plaintext, aad)
}

// Open decrypts what Seal returned for the same aad, under whichever key of
// the keyring sealed it.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	return s.keys.Open(s.purpose, sealed, aad)
}

// Sealed reports whether data has the shape Seal gives (rather than being
// plaintext written before sealing began). A PKCS #8 key, which starts with
// an ASN.1 SEQUENCE tag (0x30), never has it.
func (s *Sealer) Sealed(data []byte) bool {
	_, ok := KeyIDOf(data)
	return ok
}

// Current reports whether sealed was sealed under the current master key;
// data sealed under an older one should be sealed again.
func (s *Sealer) Current(sealed []byte) bool {
	id, ok := KeyIDOf(sealed)
	return ok && id == s.keys.Current()
}
