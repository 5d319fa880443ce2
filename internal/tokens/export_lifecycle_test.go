package tokens

import "crypto/sha256"

// ForgetVerifiedForTest drops token from the verified-token cache, so
// that the next validation of it does the cryptographic check again.
func (i *Issuer) ForgetVerifiedForTest(token string) {
	key := sha256.Sum256([]byte(token))
	i.verified.mu.Lock()
	delete(i.verified.cur, key)
	delete(i.verified.old, key)
	i.verified.mu.Unlock()
}

// VerifiedLenForTest returns how many tokens the verified-token cache holds.
func (i *Issuer) VerifiedLenForTest() int { return i.verified.len() }

// VerifiedCacheSizeForTest is the size of one generation of the cache.
const VerifiedCacheSizeForTest = verifiedCacheSize
