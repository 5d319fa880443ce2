package gatehouse

import (
	"strings"
	"time"
)

// Account is a business client of the API provider: an organisation that has
// users and credentials. Its numeric id is what legacy dialects return.
type Account struct {
	ID        int64
	Name      string
	CreatedAt time.Time
}

// Validate checks the account's fields.
func (a *Account) Validate() error {
	if strings.TrimSpace(a.Name) == "" || len(a.Name) > 200 {
		return Errorf(EINVALID, "account name must be 1-200 characters")
	}
	return nil
}

// AccountFilter selects a page of accounts, ordered by id.
type AccountFilter struct {
	AfterID int64 // only accounts with a larger id
	Limit   int   // at most this many; 0 means the store's default
}
