package tokens

// ForgetVerifiedForTest empties the verified-token cache, so that the next
// validation does the cryptographic check again.
func (i *Issuer) ForgetVerifiedForTest() {
	i.verified.mu.Lock()
	i.verified.cur, i.verified.old = nil, nil
	i.verified.mu.Unlock()
}

// VerifiedLenForTest returns how many tokens the verified-token cache holds.
func (i *Issuer) VerifiedLenForTest() int { return i.verified.len() }

// VerifiedCacheSizeForTest is the size of one generation of the cache.
const VerifiedCacheSizeForTest = verifiedCacheSize
