// Package keyrotation rotates environments' signing keys. A rotation
// creates a next key, which is published in the JWKS but signs nothing;
// after a publication delay (long enough for resource servers' JWKS caches
// to pick it up) it becomes the active key and the previous active key is
// retired; a retired key stays published until every token it can have
// signed has expired (its RemoveAt), and is then deleted.
//
// Every step is a compare-and-swap in the store, and new keys are generated
// before any transaction, so that any number of replicas can run Advance
// (and operators Rotate) at the same time: two rotations at once create one
// next key, two promotions at once promote it once.
//
// It depends on the domain's Store interface and internal/keys; it must not
// import net/http, database/sql or internal/sqlstore.
package keyrotation
