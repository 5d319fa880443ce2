package manage

import "github.com/gatehouse-dev/gatehouse"

// Action is what a principal asks to do; each needs a role or scope.
type Action int

// Actions, from the least to the most privileged.
const (
	// ActRead reads an account's clients, usage, users and invitations.
	ActRead Action = iota
	// ActCredentials creates, rotates, renews, reveals, revokes and changes
	// an account's clients.
	ActCredentials
	// ActUsers invites, changes, disables and removes an account's users
	// other than owners.
	ActUsers
	// ActOwners does the same for owners, and makes users owners.
	ActOwners
	// ActOperate creates accounts and environments, changes environment
	// settings and manages clients of the admin environment: provider
	// staff only.
	ActOperate
)

var actionNames = map[Action]string{
	ActRead: "read", ActCredentials: "manage credentials", ActUsers: "manage users",
	ActOwners: "manage owners", ActOperate: "operate the server",
}

// String names the action in error messages.
func (a Action) String() string { return actionNames[a] }

// roleRank orders account roles: a role may do what its rank allows and
// everything below.
var roleRank = map[string]Action{
	gatehouse.RoleViewer:    ActRead,
	gatehouse.RoleDeveloper: ActCredentials,
	gatehouse.RoleAdmin:     ActUsers,
	gatehouse.RoleOwner:     ActOwners,
}

// Authorize reports whether p may do act on account accountID (0: on no
// particular account, as for creating one). It is the one permission table
// of Gatehouse:
//
//   - an admin API client with admin:write may do everything on every
//     account, one with admin:read may read every account;
//   - an operator may do everything on every account;
//   - a user of an account may read it as a viewer, also manage credentials
//     as a developer, also manage users as an admin, also manage owners as
//     an owner, and nothing on any other account.
//
// Another account's objects are reported as not found (what names the
// object), not forbidden, so that a user learns nothing about ids outside
// the account.
func Authorize(p *gatehouse.Principal, act Action, accountID int64, what string) error {
	switch {
	case p == nil:
		return gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "sign in or present an admin API credential")
	case !p.IsUser():
		if p.HasScope(gatehouse.ScopeAdminWrite) || (act == ActRead && p.HasScope(gatehouse.ScopeAdminRead)) {
			return nil
		}
		if act == ActRead {
			return gatehouse.Errorf(gatehouse.EFORBIDDEN, "this operation needs scope %s or %s", gatehouse.ScopeAdminRead, gatehouse.ScopeAdminWrite)
		}
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "this operation needs scope %s", gatehouse.ScopeAdminWrite)
	case p.Operator:
		return nil
	case accountID != 0 && accountID != p.AccountID:
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s not found", what)
	}
	rank, ok := roleRank[p.Role]
	if !ok || act == ActOperate || act > rank || (accountID == 0 && act != ActRead) {
		return gatehouse.Errorf(gatehouse.EFORBIDDEN, "your role (%s) may not %s", orNone(p.Role), act)
	}
	return nil
}

// seesAllAccounts reports whether p may read every account.
func seesAllAccounts(p *gatehouse.Principal) bool {
	if p.IsUser() {
		return p.Operator
	}
	return p.HasScope(gatehouse.ScopeAdminRead) || p.HasScope(gatehouse.ScopeAdminWrite)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
