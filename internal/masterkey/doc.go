// Package masterkey holds the master key: the AES-256 key under which
// Gatehouse encrypts what it must be able to read again (the sealed copies
// of revealable client secrets) and from which it derives per-purpose keys
// (the per-environment keys of opaque access tokens). The master key comes
// from configuration (GATEHOUSE_MASTER_KEY) or from {data-dir}/master.key,
// generated on first start; it is never stored in the database.
//
// A Keyring holds the current key and, during a master-key rotation, older
// ones that still decrypt. Everything it seals names the key that sealed it
// by a 4-byte key id, so old data keeps opening after a rotation.
//
// It must not import net/http, database/sql or other internal packages.
package masterkey
