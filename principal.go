package gatehouse

import "strconv"

// Principal is who made an authenticated request: either a client of the
// admin environment calling the admin API (ClientID set, with the scopes its
// token or API key grants), or a dashboard user (UserID set) with a role in
// one account, or an operator (provider staff) who sees every account.
// internal/manage decides what each may do.
type Principal struct {
	// An admin API caller.
	ClientID    string
	Environment string
	Scopes      []string

	// A dashboard user.
	UserID   int64
	Email    string
	Role     string // owner, admin, developer or viewer; "" for operators
	Operator bool

	// AccountID is the account of the user, or of the admin API client.
	AccountID int64
	// SourceIP is the address the request came from, for audit records.
	SourceIP string
}

// HasScope reports whether the principal was granted scope.
func (p *Principal) HasScope(scope string) bool { return p != nil && contains(p.Scopes, scope) }

// IsUser reports whether the principal is a dashboard user (rather than an
// admin API client).
func (p *Principal) IsUser() bool { return p != nil && p.UserID != 0 }

// Actor names the principal in audit records: "user:<email>" for a user,
// "client:<id>" for an admin API client, "anonymous" for nobody.
func (p *Principal) Actor() string {
	switch {
	case p == nil:
		return "anonymous"
	case p.IsUser() && p.Email != "":
		return "user:" + p.Email
	case p.IsUser():
		return "user:" + strconv.FormatInt(p.UserID, 10)
	case p.ClientID != "":
		return "client:" + p.ClientID
	}
	return "anonymous"
}

// UserPrincipal returns the principal of a signed-in dashboard user.
func UserPrincipal(u *User, sourceIP string) *Principal {
	return &Principal{
		UserID: u.ID, Email: u.Email, Role: u.Role, Operator: u.Operator,
		AccountID: u.AccountID, SourceIP: sourceIP,
	}
}
