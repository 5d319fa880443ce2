package manage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/gatefile"
	"github.com/gatehouse-dev/gatehouse/internal/provision"
)

// The declarative side of administration: Export describes the server as a
// Gatehouse file (internal/gatefile) and Apply makes the server match one,
// in one transaction. docs/declarative.md is the operator's account of the
// rules below.
//
// What a file covers: the environments but admin, accounts (by id), the
// users of accounts (operators are not part of it) and the clients of the
// listed environments. The admin environment and its clients, which grant
// admin API access, belong to each installation: a file naming them is
// refused, and prune never touches them.

// ExportOptions select what Export describes.
type ExportOptions struct {
	// Environment limits the file to one environment ("": every one but
	// admin).
	Environment string
	// AccountID limits the file to one account (0: every account).
	AccountID int64
	// IncludeHashes adds the stored hashes of the clients' secrets, for a
	// move to another server; admin:write and operators only.
	IncludeHashes bool
}

// Export describes the server as a Gatehouse file: sorted, so that an
// unchanged server gives the same document. It holds no secret; with
// IncludeHashes it holds the secrets' stored hashes (never a sealed copy
// kept for reveal, which only this server's master key opens). Export is for
// operators and admin API callers.
func (s *Service) Export(ctx context.Context, p *gatehouse.Principal, o ExportOptions) (*gatefile.Document, error) {
	if err := Authorize(p, ActRead, 0, "the export"); err != nil {
		return nil, err
	}
	if !seesAllAccounts(p) {
		return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "the export is for operators and admin API callers")
	}
	if o.IncludeHashes {
		if err := Authorize(p, ActOperate, 0, "the export of secret hashes"); err != nil {
			return nil, gatehouse.Errorf(gatehouse.EFORBIDDEN, "the export of secret hashes needs scope %s", gatehouse.ScopeAdminWrite)
		}
	}
	if o.Environment == gatehouse.EnvAdmin {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "the admin environment is not exported: its clients grant admin API access and belong to each installation")
	}
	doc := &gatefile.Document{Version: gatefile.Version}
	envs, err := s.store.Environments(ctx)
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	var envNames []string
	for _, e := range envs {
		if e.Name == gatehouse.EnvAdmin || (o.Environment != "" && e.Name != o.Environment) {
			continue
		}
		doc.Environments = append(doc.Environments, fileEnvironment(e))
		envNames = append(envNames, e.Name)
	}
	if o.Environment != "" && len(envNames) == 0 {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "environment %q not found", o.Environment)
	}
	accounts, err := s.allAccounts(ctx, s.store)
	if err != nil {
		return nil, err
	}
	exported := map[int64]bool{}
	for _, a := range accounts {
		if o.AccountID != 0 && a.ID != o.AccountID {
			continue
		}
		doc.Accounts = append(doc.Accounts, gatefile.Account{ID: a.ID, Name: a.Name})
		exported[a.ID] = true
		members, err := s.accountMembers(ctx, s.store, a.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			doc.Users = append(doc.Users, m.entry)
		}
	}
	if o.AccountID != 0 && len(exported) == 0 {
		return nil, gatehouse.Errorf(gatehouse.ENOTFOUND, "account %d not found", o.AccountID)
	}
	for _, env := range envNames {
		err := eachClient(ctx, s.store, gatehouse.ClientFilter{Environment: env, AccountID: o.AccountID}, func(c *gatehouse.Client) error {
			doc.Clients = append(doc.Clients, fileClient(c, o.IncludeHashes))
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	doc.Sort()
	return doc, nil
}

func fileEnvironment(e *gatehouse.Environment) gatefile.Environment {
	return gatefile.Environment{
		Name:             e.Name,
		Production:       &e.Production,
		SigningAlgorithm: &e.SigningAlgorithm,
		AllowReveal:      &e.AllowReveal,
		Tokens: &gatefile.TokenSettings{
			Format: e.Tokens.Format, LifetimeSeconds: int64(e.Tokens.Lifetime / time.Second),
			Reuse: e.Tokens.Reuse, DefaultAudience: e.Tokens.DefaultAudience,
		},
		RateLimits: &gatefile.RateLimits{
			ClientPerMinute: e.Limits.ClientPerMinute, ClientBurst: e.Limits.ClientBurst,
			IPPerMinute: e.Limits.IPPerMinute, IPBurst: e.Limits.IPBurst,
		},
	}
}

func fileClient(c *gatehouse.Client, hashes bool) gatefile.Client {
	fc := gatefile.Client{
		ID: c.ID, Environment: c.Environment, Account: c.AccountID, Name: c.Name, Status: c.Status,
		Scopes: slices.Clone(c.Scopes), Audiences: slices.Clone(c.Audiences), JWKS: c.JWKS, PublicKeyPEM: c.PublicKeyPEM,
		MustRotate: c.MustRotate,
	}
	for _, p := range c.AllowedCIDRs {
		fc.AllowedCIDRs = append(fc.AllowedCIDRs, p.String())
	}
	if t := fileOverrides(c.Tokens); t != (gatefile.TokenOverrides{}) {
		fc.Tokens = &t
	}
	if hashes {
		for _, sec := range c.Secrets {
			fc.Secrets = append(fc.Secrets, fileSecret(sec))
		}
	}
	return fc
}

func fileOverrides(o gatehouse.TokenOverrides) gatefile.TokenOverrides {
	t := gatefile.TokenOverrides{Format: o.Format, Reuse: o.Reuse, DefaultAudience: o.DefaultAudience}
	if o.Lifetime != nil {
		sec := int64(*o.Lifetime / time.Second)
		t.LifetimeSeconds = &sec
	}
	return t
}

func fileSecret(sec gatehouse.Secret) gatefile.Secret {
	fs := gatefile.Secret{CreatedAt: sec.CreatedAt.UTC()}
	if sec.Imported != "" {
		fs.Imported = sec.Imported
	} else {
		fs.SHA256 = hex.EncodeToString(sec.Hash[:])
	}
	if !sec.ExpiresAt.IsZero() {
		t := sec.ExpiresAt.UTC()
		fs.ExpiresAt = &t
	}
	return fs
}

// member is a user of an account or a pending invitation to it, as a file
// lists both.
type member struct {
	entry      gatefile.User
	user       *gatehouse.User       // nil for an invitation
	invitation *gatehouse.Invitation // nil for a user
}

// accountMembers returns the users of an account and the invitations to it
// of people who are not users yet.
func (s *Service) accountMembers(ctx context.Context, st gatehouse.Store, accountID int64) ([]member, error) {
	var out []member
	emails := map[string]bool{}
	for f := (gatehouse.UserFilter{AccountID: accountID, Limit: 1000}); ; {
		page, err := st.Users(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("list users of account %d: %w", accountID, err)
		}
		for _, u := range page {
			if u.Operator || u.AccountID != accountID {
				continue
			}
			emails[strings.ToLower(u.Email)] = true
			out = append(out, member{entry: gatefile.User{Email: u.Email, Account: accountID, Role: u.Role, Disabled: u.Disabled}, user: u})
		}
		if len(page) < f.Limit {
			break
		}
		f.AfterID = page[len(page)-1].ID
	}
	invs, err := st.Invitations(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("list invitations of account %d: %w", accountID, err)
	}
	for _, inv := range invs {
		if emails[strings.ToLower(inv.Email)] {
			continue
		}
		emails[strings.ToLower(inv.Email)] = true
		out = append(out, member{entry: gatefile.User{Email: inv.Email, Account: accountID, Role: inv.Role}, invitation: inv})
	}
	return out, nil
}

func (s *Service) allAccounts(ctx context.Context, st gatehouse.Store) ([]*gatehouse.Account, error) {
	var out []*gatehouse.Account
	for f := (gatehouse.AccountFilter{Limit: 1000}); ; {
		page, err := st.Accounts(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		out = append(out, page...)
		if len(page) < f.Limit {
			return out, nil
		}
		f.AfterID = page[len(page)-1].ID
	}
}

func eachClient(ctx context.Context, st gatehouse.Store, f gatehouse.ClientFilter, fn func(*gatehouse.Client) error) error {
	f.Limit = 1000
	for {
		page, err := st.Clients(ctx, f)
		if err != nil {
			return fmt.Errorf("list clients: %w", err)
		}
		for _, c := range page {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(page) < f.Limit {
			return nil
		}
		f.AfterID = page[len(page)-1].ID
	}
}

// Kinds of objects a plan changes.
const (
	KindEnvironment = "environment"
	KindAccount     = "account"
	KindUser        = "user"
	KindClient      = "client"
)

// Plan actions.
const (
	PlanCreate = "create"
	PlanUpdate = "update"
	PlanDelete = "delete"
	PlanRevoke = "revoke"
)

// PlanChange is one change of a plan: what happens to which object, and
// which fields change from what to what. A field that holds credential
// material (secrets) shows no values.
type PlanChange struct {
	Action string
	Kind   string
	Key    string // environment name, account id, user email, client id
	Fields []FieldChange
}

// FieldChange is one field of a changed object.
type FieldChange struct {
	Field string
	From  string
	To    string
}

// ApplyOptions say how Apply runs.
type ApplyOptions struct {
	// DryRun computes the plan and writes nothing.
	DryRun bool
	// Prune deletes or revokes what the file does not list, within the
	// environments and accounts it lists (see Apply).
	Prune bool
}

// NewCredential is a credential Apply made: a generated secret (Secret),
// or a secret the caller gave (Secret empty), and its API key where the
// client's id has the native form. It is shown once.
type NewCredential struct {
	ClientID    string
	Environment string
	Secret      string
	APIKey      string
}

// NewInvitation is an invitation Apply sent, with its link (shown once).
type NewInvitation struct {
	Email     string
	AccountID int64
	Role      string
	Link      string
	ExpiresAt time.Time
}

// ApplyResult is the plan and what came of it. Nothing was written unless
// Applied; Credentials and Invitations are set only then.
type ApplyResult struct {
	Applied     bool
	DryRun      bool
	Changes     []PlanChange
	Credentials []NewCredential
	Invitations []NewInvitation
}

// unusablePassword is the password hash of a user a file creates disabled:
// no password verifies against it (it is not an argon2id hash), so such a
// user never signs in; to let them in, remove the entry and invite them.
const unusablePassword = "!none"

// Apply makes the server match doc, in one transaction: it creates and
// updates the environments, accounts, users and clients the file lists
// (a user nobody has is invited; a pending invitation counts as the user),
// and with opts.Prune it revokes the active clients of the listed
// environments and accounts that the file does not list, and deletes the
// users and pending invitations of the listed accounts that it does not
// list. Environments and accounts are never deleted; the admin environment,
// its clients and operators are never touched. A bad entry refuses the
// whole file with its path (clients[3].scopes[0]) and writes nothing; so
// does a dry run. Every change is audited in the transaction. Applying the
// same file again changes nothing. Apply is for operators and admin:write
// callers.
func (s *Service) Apply(ctx context.Context, p *gatehouse.Principal, doc *gatefile.Document, opts ApplyOptions) (*ApplyResult, error) {
	if err := Authorize(p, ActOperate, 0, "apply"); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "the request body must be a Gatehouse file")
	}
	if err := checkDocument(doc); err != nil {
		return nil, err
	}
	res := &ApplyResult{DryRun: opts.DryRun}
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		a := &applier{s: s, tx: tx, p: p, doc: doc, now: s.now().UTC(), res: res, envs: map[string]*gatehouse.Environment{},
			owners: map[int64]int{}}
		if err := a.run(ctx, opts.Prune); err != nil {
			return err
		}
		if opts.DryRun || len(res.Changes) == 0 {
			return errDryRun
		}
		return nil
	})
	switch {
	case errors.Is(err, errDryRun):
		res.Credentials, res.Invitations = nil, nil
		return res, nil
	case err != nil:
		return nil, err
	}
	res.Applied = true
	if s.refresh != nil {
		if err := s.refresh(context.WithoutCancel(ctx)); err != nil {
			s.logger.WarnContext(ctx, "manage: refreshing the credential cache failed; it catches up from the change feed", "err", err)
		}
	}
	counts := map[string]int{}
	for _, c := range res.Changes {
		counts[c.Action]++
	}
	s.logger.InfoContext(ctx, "manage: Gatehouse file applied", "created", counts[PlanCreate], "updated", counts[PlanUpdate],
		"deleted", counts[PlanDelete], "revoked", counts[PlanRevoke], "prune", opts.Prune, "actor", p.Actor())
	return res, nil
}

// refuse is the error of a bad entry: its path in the file and why.
func refuse(path, format string, args ...any) error {
	return gatehouse.Errorf(gatehouse.EINVALID, "%s: %s", path, fmt.Sprintf(format, args...))
}

// checkDocument checks what can be checked of a file without the store.
func checkDocument(doc *gatefile.Document) error {
	if doc.Version != gatefile.Version {
		return refuse("version", "must be %d", gatefile.Version)
	}
	seen := map[string]string{}
	dup := func(kind, key, path string) error {
		k := kind + "\x00" + key
		if first, ok := seen[k]; ok {
			return refuse(path, "%s %s is also at %s", kind, key, first)
		}
		seen[k] = path
		return nil
	}
	for i, e := range doc.Environments {
		path := fmt.Sprintf("environments[%d]", i)
		if e.Name == gatehouse.EnvAdmin {
			return refuse(path+".name", "the admin environment is not part of a Gatehouse file (its clients grant admin API access and belong to each installation)")
		}
		if !gatehouse.ValidEnvironmentName(e.Name) {
			return refuse(path+".name", "%q must be 1-63 characters of a-z, 0-9, '-' and '_'", e.Name)
		}
		if err := dup("environment", e.Name, path); err != nil {
			return err
		}
		if _, err := desiredEnvironment(&e, path); err != nil {
			return err
		}
	}
	for i, a := range doc.Accounts {
		path := fmt.Sprintf("accounts[%d]", i)
		if a.ID <= 0 {
			return refuse(path+".id", "must be a positive integer")
		}
		acc := gatehouse.Account{Name: a.Name}
		if err := acc.Validate(); err != nil {
			return refuse(path+".name", "%s", gatehouse.ErrorMessage(err))
		}
		if err := dup("account", strconv.FormatInt(a.ID, 10), path); err != nil {
			return err
		}
	}
	for i, u := range doc.Users {
		path := fmt.Sprintf("users[%d]", i)
		if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
			return refuse(path+".email", "%q is not a valid address", u.Email)
		}
		if u.Account <= 0 {
			return refuse(path+".account", "must be an account id (operators are not part of a Gatehouse file)")
		}
		if !gatehouse.ValidRole(u.Role) {
			return refuse(path+".role", "%q must be owner, admin, developer or viewer", u.Role)
		}
		if err := dup("user", strings.ToLower(u.Email), path); err != nil {
			return err
		}
	}
	for i := range doc.Clients {
		c := &doc.Clients[i]
		path := fmt.Sprintf("clients[%d]", i)
		if err := dup("client", c.ID, path); err != nil {
			return err
		}
		if _, err := desiredClient(c, path, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

// desiredEnvironment returns the environment an entry describes, absent
// settings taking a new environment's values; its path names a bad field.
func desiredEnvironment(e *gatefile.Environment, path string) (*gatehouse.Environment, error) {
	env := provision.New(e.Name, "")
	env.Production = e.Name == gatehouse.EnvProduction
	if e.Production != nil {
		env.Production = *e.Production
	}
	if e.SigningAlgorithm != nil {
		env.SigningAlgorithm = *e.SigningAlgorithm
		if err := gatehouse.ValidateSigningAlgorithm(env.SigningAlgorithm); err != nil {
			return nil, refuse(path+".signing_algorithm", "%s", gatehouse.ErrorMessage(err))
		}
	}
	if e.AllowReveal != nil {
		env.AllowReveal = *e.AllowReveal
	}
	if t := e.Tokens; t != nil {
		if err := gatehouse.ValidateTokenFormat(t.Format); err != nil {
			return nil, refuse(path+".tokens.format", "%s", gatehouse.ErrorMessage(err))
		}
		d, err := gatehouse.TokenLifetime(t.LifetimeSeconds)
		if err != nil {
			return nil, refuse(path+".tokens.lifetime_seconds", "%s", gatehouse.ErrorMessage(err))
		}
		if err := gatehouse.ValidateDefaultAudience(t.DefaultAudience, true); err != nil {
			return nil, refuse(path+".tokens.default_audience", "%s", gatehouse.ErrorMessage(err))
		}
		env.Tokens = gatehouse.TokenSettings{Format: t.Format, Lifetime: d, Reuse: t.Reuse, DefaultAudience: t.DefaultAudience}
	}
	if l := e.RateLimits; l != nil {
		env.Limits = gatehouse.RateLimits{ClientPerMinute: l.ClientPerMinute, ClientBurst: l.ClientBurst, IPPerMinute: l.IPPerMinute, IPBurst: l.IPBurst}
		if err := env.Limits.Validate(); err != nil {
			return nil, refuse(path+".rate_limits", "%s", gatehouse.ErrorMessage(err))
		}
	}
	if err := env.Validate(); err != nil {
		return nil, refuse(path, "%s", gatehouse.ErrorMessage(err))
	}
	return env, nil
}

// desiredClient returns the client an entry describes (without secrets
// unless it lists their hashes); its path names a bad field.
func desiredClient(fc *gatefile.Client, path string, now time.Time) (*gatehouse.Client, error) {
	if !importedIDRE.MatchString(fc.ID) {
		return nil, refuse(path+".id", "%q must be 1-128 letters, digits or ._~@+-", fc.ID)
	}
	if fc.Environment == gatehouse.EnvAdmin {
		return nil, refuse(path+".environment", "clients of the admin environment are not part of a Gatehouse file")
	}
	if !gatehouse.ValidEnvironmentName(fc.Environment) {
		return nil, refuse(path+".environment", "%q is not a valid environment name", fc.Environment)
	}
	if fc.Account <= 0 {
		return nil, refuse(path+".account", "must be an account id")
	}
	name := strings.TrimSpace(fc.Name)
	if name == "" || len(name) > 200 {
		return nil, refuse(path+".name", "must be 1-200 characters")
	}
	c := &gatehouse.Client{ID: fc.ID, Environment: fc.Environment, AccountID: fc.Account, Name: name,
		Status: gatehouse.ClientActive, CreatedAt: now, UpdatedAt: now}
	switch fc.Status {
	case "", gatehouse.ClientActive:
	case gatehouse.ClientRevoked:
		c.Status = gatehouse.ClientRevoked
	default:
		return nil, refuse(path+".status", "%q must be active or revoked", fc.Status)
	}
	for j, sc := range fc.Scopes {
		if !gatehouse.ValidScope(sc) {
			return nil, refuse(fmt.Sprintf("%s.scopes[%d]", path, j), "%q is not a valid scope token", sc)
		}
	}
	for j, a := range fc.Audiences {
		if a == "" || len(a) > 512 || strings.ContainsAny(a, " \t\r\n") {
			return nil, refuse(fmt.Sprintf("%s.audiences[%d]", path, j), "%q must be a non-empty string without spaces", a)
		}
	}
	c.Scopes, c.Audiences = sortedSet(fc.Scopes), sortedSet(fc.Audiences)
	for j, v := range fc.AllowedCIDRs {
		cidrs, err := parseCIDRs([]string{v})
		if err != nil {
			return nil, refuse(fmt.Sprintf("%s.allowed_cidrs[%d]", path, j), "%q is not a CIDR prefix such as 203.0.113.0/24", v)
		}
		if !slices.Contains(c.AllowedCIDRs, cidrs[0]) {
			c.AllowedCIDRs = append(c.AllowedCIDRs, cidrs[0])
		}
	}
	slices.SortFunc(c.AllowedCIDRs, func(a, b netip.Prefix) int { return strings.Compare(a.String(), b.String()) })
	if c.AllowedCIDRs == nil {
		c.AllowedCIDRs = []netip.Prefix{}
	}
	if t := fc.Tokens; t != nil {
		patch := &TokenSettingsPatch{}
		if t.Format != nil {
			patch.Format = Field[string]{Set: true, Value: *t.Format}
		}
		if t.LifetimeSeconds != nil {
			patch.LifetimeSeconds = Field[int64]{Set: true, Value: *t.LifetimeSeconds}
		}
		if t.Reuse != nil {
			patch.Reuse = Field[bool]{Set: true, Value: *t.Reuse}
		}
		if t.DefaultAudience != nil {
			patch.DefaultAudience = Field[string]{Set: true, Value: *t.DefaultAudience}
		}
		if err := patchOverrides(&c.Tokens, patch); err != nil {
			return nil, refuse(path+".tokens", "%s", gatehouse.ErrorMessage(err))
		}
	}
	var err error
	if c.JWKS, c.PublicKeyPEM, err = ClientKeys(fc.JWKS, fc.PublicKeyPEM); err != nil {
		field := ".jwks"
		if fc.JWKS == "" {
			field = ".public_key_pem"
		}
		return nil, refuse(path+field, "%s", gatehouse.ErrorMessage(err))
	}
	refs := 0
	for _, v := range []string{fc.Secret, fc.SecretFromEnv, fc.SecretFromFile} {
		if v != "" {
			refs++
		}
	}
	if fc.SecretFromEnv != "" || fc.SecretFromFile != "" {
		// The CLI resolves references; a server is sent the secret.
		return nil, refuse(path, "secret_from_env and secret_from_file are resolved by the gatehouse CLI; send the secret itself")
	}
	if refs > 0 && fc.MustRotate {
		return nil, refuse(path+".must_rotate", "a must-rotate client has no usable secret: drop must_rotate to give it this one")
	}
	c.MustRotate = fc.MustRotate
	if refs > 0 && len(fc.Secrets) > 0 {
		return nil, refuse(path+".secrets", "give either a secret reference or the secrets' hashes, not both")
	}
	if len(fc.Secrets) > gatehouse.MaxSecrets {
		return nil, refuse(path+".secrets", "a client has at most %d secrets", gatehouse.MaxSecrets)
	}
	for j, fs := range fc.Secrets {
		sp := fmt.Sprintf("%s.secrets[%d]", path, j)
		sec := gatehouse.Secret{CreatedAt: fs.CreatedAt.UTC()}
		switch {
		case (fs.SHA256 == "") == (fs.Imported == ""):
			return nil, refuse(sp, "give exactly one of sha256 and imported")
		case fs.SHA256 != "":
			b, err := hex.DecodeString(fs.SHA256)
			if err != nil || len(b) != sha256.Size || fs.SHA256 != strings.ToLower(fs.SHA256) {
				return nil, refuse(sp+".sha256", "must be 64 lower-case hex digits")
			}
			copy(sec.Hash[:], b)
		default:
			h, err := gatehouse.ParseImportedHash(fs.Imported)
			if err != nil {
				return nil, refuse(sp+".imported", "%s", gatehouse.ErrorMessage(err))
			}
			sec.Imported = h
		}
		if fs.CreatedAt.IsZero() {
			return nil, refuse(sp+".created_at", "is required")
		}
		if fs.ExpiresAt != nil {
			sec.ExpiresAt = fs.ExpiresAt.UTC()
		}
		c.Secrets = append(c.Secrets, sec)
	}
	if fc.Secret != "" && len(fc.Secret) > 1024 {
		return nil, refuse(path+".secret", "a secret is at most 1024 bytes")
	}
	if err := c.Validate(); err != nil {
		return nil, refuse(path, "%s", gatehouse.ErrorMessage(err))
	}
	return c, nil
}

// sortedSet returns list sorted without repeats, never nil.
func sortedSet(list []string) []string {
	out := distinct(list)
	slices.Sort(out)
	return out
}

// applier carries one Apply's transaction and what it learnt.
type applier struct {
	s   *Service
	tx  gatehouse.Store
	p   *gatehouse.Principal
	doc *gatefile.Document
	now time.Time
	res *ApplyResult

	envs map[string]*gatehouse.Environment // loaded or created
	// owners counts the active owners of an account before this apply
	// first changed its users.
	owners map[int64]int
}

func (a *applier) run(ctx context.Context, prune bool) error {
	for i := range a.doc.Environments {
		if err := a.environment(ctx, i); err != nil {
			return err
		}
	}
	for i := range a.doc.Accounts {
		if err := a.account(ctx, i); err != nil {
			return err
		}
	}
	for i := range a.doc.Clients {
		if err := a.client(ctx, i); err != nil {
			return err
		}
	}
	for i := range a.doc.Users {
		if err := a.user(ctx, i); err != nil {
			return err
		}
	}
	if prune {
		if err := a.prune(ctx); err != nil {
			return err
		}
	}
	return a.checkOwners(ctx)
}

func (a *applier) add(action, kind, key string, fields []FieldChange) {
	a.res.Changes = append(a.res.Changes, PlanChange{Action: action, Kind: kind, Key: key, Fields: fields})
}

// loadEnvironment returns a stored environment, nil if there is none.
func (a *applier) loadEnvironment(ctx context.Context, name string) (*gatehouse.Environment, error) {
	if env, ok := a.envs[name]; ok {
		return env, nil
	}
	env, err := a.tx.Environment(ctx, name)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("load environment %s: %w", name, err)
	}
	a.envs[name] = env
	return env, nil
}

func (a *applier) environment(ctx context.Context, i int) error {
	path := fmt.Sprintf("environments[%d]", i)
	want, err := desiredEnvironment(&a.doc.Environments[i], path)
	if err != nil {
		return err
	}
	if err := a.s.checkOpaque(want.Tokens.Format); err != nil {
		return refuse(path+".tokens.format", "%s", gatehouse.ErrorMessage(err))
	}
	if want.AllowReveal && a.s.masterKey == nil {
		return refuse(path+".allow_reveal", "reveal needs a master key, and this server has none")
	}
	have, err := a.loadEnvironment(ctx, want.Name)
	if err != nil {
		return err
	}
	fields := environmentDiff(have, want)
	if have == nil {
		want.CreatedAt, want.UpdatedAt = a.now, a.now
		res, err := provision.Environment(ctx, a.tx, want, a.s.rand, a.now)
		if err != nil {
			return fmt.Errorf("create environment %s: %w", want.Name, err)
		}
		a.envs[want.Name] = res.Environment
		a.add(PlanCreate, KindEnvironment, want.Name, fields)
		return a.s.audit(ctx, a.tx, a.p, "environment.create", "environment:"+want.Name, want.Name, "apply; signing algorithm "+want.SigningAlgorithm)
	}
	if len(fields) == 0 {
		return nil
	}
	want.CreatedAt, want.UpdatedAt = have.CreatedAt, a.now
	if err := a.tx.UpdateEnvironment(ctx, want); err != nil {
		return fmt.Errorf("update environment %s: %w", want.Name, err)
	}
	a.envs[want.Name] = want
	a.add(PlanUpdate, KindEnvironment, want.Name, fields)
	return a.s.audit(ctx, a.tx, a.p, "environment.update", "environment:"+want.Name, want.Name, "apply: "+fieldNames(fields))
}

func environmentDiff(have, want *gatehouse.Environment) []FieldChange {
	var d differ
	h := &gatehouse.Environment{}
	if have != nil {
		h = have
	}
	created := have == nil
	d.str(created, "production", strconv.FormatBool(h.Production), strconv.FormatBool(want.Production))
	d.str(created, "signing_algorithm", h.SigningAlgorithm, want.SigningAlgorithm)
	d.str(created, "allow_reveal", strconv.FormatBool(h.AllowReveal), strconv.FormatBool(want.AllowReveal))
	d.str(created, "tokens.format", h.Tokens.Format, want.Tokens.Format)
	d.str(created, "tokens.lifetime_seconds", seconds(h.Tokens.Lifetime), seconds(want.Tokens.Lifetime))
	d.str(created, "tokens.reuse", strconv.FormatBool(h.Tokens.Reuse), strconv.FormatBool(want.Tokens.Reuse))
	d.str(created, "tokens.default_audience", h.Tokens.DefaultAudience, want.Tokens.DefaultAudience)
	d.str(created, "rate_limits.client_per_minute", strconv.Itoa(h.Limits.ClientPerMinute), strconv.Itoa(want.Limits.ClientPerMinute))
	d.str(created, "rate_limits.client_burst", strconv.Itoa(h.Limits.ClientBurst), strconv.Itoa(want.Limits.ClientBurst))
	d.str(created, "rate_limits.ip_per_minute", strconv.Itoa(h.Limits.IPPerMinute), strconv.Itoa(want.Limits.IPPerMinute))
	d.str(created, "rate_limits.ip_burst", strconv.Itoa(h.Limits.IPBurst), strconv.Itoa(want.Limits.IPBurst))
	return d.fields
}

func seconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// differ collects changed fields. For an object being created every field
// with a value is listed, with no "from".
type differ struct{ fields []FieldChange }

func (d *differ) str(created bool, field, from, to string) {
	switch {
	case created && to != "":
		d.fields = append(d.fields, FieldChange{Field: field, To: to})
	case !created && from != to:
		d.fields = append(d.fields, FieldChange{Field: field, From: from, To: to})
	}
}

func (d *differ) list(created bool, field string, from, to []string) {
	d.str(created, field, strings.Join(from, ","), strings.Join(to, ","))
}

func fieldNames(fields []FieldChange) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Field
	}
	return strings.Join(names, ", ")
}

func (a *applier) account(ctx context.Context, i int) error {
	fa := a.doc.Accounts[i]
	path := fmt.Sprintf("accounts[%d]", i)
	name := strings.TrimSpace(fa.Name)
	have, err := a.tx.Account(ctx, fa.ID)
	switch {
	case err == nil:
		if have.Name != name {
			return refuse(path+".name", "account %d is named %q on this server; an account keeps its id and name (give this one another id)", fa.ID, have.Name)
		}
		return nil
	case !errors.Is(err, gatehouse.ErrNotFound):
		return fmt.Errorf("load account %d: %w", fa.ID, err)
	}
	acc := &gatehouse.Account{ID: fa.ID, Name: name, CreatedAt: a.now}
	if err := a.tx.CreateAccount(ctx, acc); err != nil {
		return fmt.Errorf("create account %d: %w", fa.ID, err)
	}
	a.add(PlanCreate, KindAccount, strconv.FormatInt(fa.ID, 10), []FieldChange{{Field: "name", To: name}})
	return a.s.audit(ctx, a.tx, a.p, "account.create", fmt.Sprintf("account:%d", acc.ID), "", "apply")
}

// accountExists reports whether an account is stored (the file's accounts
// were created before).
func (a *applier) accountExists(ctx context.Context, id int64) (bool, error) {
	_, err := a.tx.Account(ctx, id)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load account %d: %w", id, err)
	}
	return true, nil
}

func (a *applier) client(ctx context.Context, i int) error {
	fc := &a.doc.Clients[i]
	path := fmt.Sprintf("clients[%d]", i)
	want, err := desiredClient(fc, path, a.now)
	if err != nil {
		return err
	}
	env, err := a.loadEnvironment(ctx, want.Environment)
	if err != nil {
		return err
	}
	if env == nil {
		return refuse(path+".environment", "environment %q does not exist and the file does not list it", want.Environment)
	}
	if ok, err := a.accountExists(ctx, want.AccountID); err != nil {
		return err
	} else if !ok {
		return refuse(path+".account", "account %d does not exist and the file does not list it", want.AccountID)
	}
	if err := want.Tokens.Apply(env.Tokens).Validate(); err != nil {
		return refuse(path+".tokens", "%s", gatehouse.ErrorMessage(err))
	}
	if want.Tokens.Format != nil {
		if err := a.s.checkOpaque(*want.Tokens.Format); err != nil {
			return refuse(path+".tokens.format", "%s", gatehouse.ErrorMessage(err))
		}
	}
	have, err := a.tx.Client(ctx, want.ID)
	switch {
	case errors.Is(err, gatehouse.ErrNotFound):
		return a.createClient(ctx, path, fc, want, env)
	case err != nil:
		return fmt.Errorf("load client %s: %w", want.ID, err)
	}
	if have.Environment != want.Environment {
		return refuse(path+".environment", "client %s exists in environment %s; a client does not change environment", want.ID, have.Environment)
	}
	if !have.Active() && want.Active() {
		return refuse(path+".status", "client %s is revoked; a revoked client cannot be made active again", want.ID)
	}
	if want.MustRotate && !have.MustRotate {
		return refuse(path+".must_rotate", "client %s has a usable secret; only an import puts a client in the must-rotate state", want.ID)
	}
	fields := clientDiff(have, want)
	next := *have
	next.AccountID, next.Name, next.Scopes, next.Audiences, next.AllowedCIDRs = want.AccountID, want.Name, want.Scopes, want.Audiences, want.AllowedCIDRs
	next.Tokens, next.JWKS, next.PublicKeyPEM = want.Tokens, want.JWKS, want.PublicKeyPEM
	var cred *NewCredential
	leaving := have.MustRotate && !want.MustRotate
	if leaving {
		next.MustRotate = false
		fields = append(fields, FieldChange{Field: "must_rotate", From: "true", To: "false"})
	}
	switch {
	case leaving && len(fc.Secrets) == 0 && fc.Secret == "":
		// Leaving the must-rotate state issues a secret, as a rotation does.
		secret, sec, err := a.s.newSecret(env, want.ID, a.now)
		if err != nil {
			return refuse(path, "%s", gatehouse.ErrorMessage(err))
		}
		next.Secrets = []gatehouse.Secret{sec}
		fields = append(fields, FieldChange{Field: "secret", From: "(none)", To: "(generated)"})
		cred = a.credential(env, want.ID, secret, true)
	case len(fc.Secrets) > 0:
		if !sameSecrets(have.Secrets, want.Secrets) {
			next.Secrets = keepSecretIDs(have.Secrets, want.Secrets)
			fields = append(fields, FieldChange{Field: "secrets", From: countSecrets(len(have.Secrets)), To: countSecrets(len(want.Secrets))})
		}
	case fc.Secret != "" && want.Active():
		if leaving || !have.VerifySecret(fc.Secret, a.now) {
			sec, err := a.givenSecret(path, env, want.ID, fc.Secret)
			if err != nil {
				return err
			}
			next.Secrets = []gatehouse.Secret{sec}
			fields = append(fields, FieldChange{Field: "secret", From: "(hidden)", To: "(from the reference)"})
			cred = a.credential(env, want.ID, fc.Secret, false)
		}
	}
	if len(fields) > 0 {
		next.UpdatedAt = a.now
		if err := a.tx.UpdateClient(ctx, &next); err != nil {
			if errors.Is(err, gatehouse.ErrConflict) {
				return gatehouse.Errorf(gatehouse.ECONFLICT, "client %s changed meanwhile; apply again", want.ID)
			}
			return fmt.Errorf("update client %s: %w", want.ID, err)
		}
		a.add(PlanUpdate, KindClient, want.ID, fields)
		if err := a.s.auditClient(ctx, a.tx, a.p, "client.update", &next, "apply: "+fieldNames(fields)); err != nil {
			return err
		}
		if cred != nil {
			a.res.Credentials = append(a.res.Credentials, *cred)
		}
	}
	if have.Active() && !want.Active() {
		return a.revoke(ctx, &next, "")
	}
	return nil
}

func (a *applier) revoke(ctx context.Context, c *gatehouse.Client, why string) error {
	if _, err := a.tx.RevokeClient(ctx, c.ID, a.now); err != nil {
		return fmt.Errorf("revoke client %s: %w", c.ID, err)
	}
	a.add(PlanRevoke, KindClient, c.ID, []FieldChange{{Field: "status", From: gatehouse.ClientActive, To: gatehouse.ClientRevoked}})
	return a.s.auditClient(ctx, a.tx, a.p, "client.revoke", c, strings.TrimSpace("apply "+why))
}

func (a *applier) createClient(ctx context.Context, path string, fc *gatefile.Client, want *gatehouse.Client, env *gatehouse.Environment) error {
	fields := clientDiff(nil, want)
	revoked := !want.Active()
	want.Status = gatehouse.ClientActive // revoked after it is made, so that the revocation is recorded
	var cred *NewCredential
	switch {
	case len(want.Secrets) > 0:
		fields = append(fields, FieldChange{Field: "secrets", To: countSecrets(len(want.Secrets))})
	case fc.Secret != "":
		sec, err := a.givenSecret(path, env, want.ID, fc.Secret)
		if err != nil {
			return err
		}
		want.Secrets = []gatehouse.Secret{sec}
		fields = append(fields, FieldChange{Field: "secret", To: "(from the reference)"})
		cred = a.credential(env, want.ID, fc.Secret, false)
	case want.MustRotate:
		// No secret until one is issued (rotate or renew it).
	default:
		secret, sec, err := a.s.newSecret(env, want.ID, a.now)
		if err != nil {
			return refuse(path, "%s", gatehouse.ErrorMessage(err))
		}
		want.Secrets = []gatehouse.Secret{sec}
		fields = append(fields, FieldChange{Field: "secret", To: "(generated)"})
		cred = a.credential(env, want.ID, secret, true)
	}
	if err := a.tx.CreateClient(ctx, want); err != nil {
		return fmt.Errorf("create client %s: %w", want.ID, err)
	}
	a.add(PlanCreate, KindClient, want.ID, fields)
	if err := a.s.auditClient(ctx, a.tx, a.p, "client.create", want, "apply"); err != nil {
		return err
	}
	if revoked {
		return a.revoke(ctx, want, "")
	}
	if cred != nil {
		a.res.Credentials = append(a.res.Credentials, *cred)
	}
	return nil
}

// givenSecret is the stored form of a secret the file referenced: under
// SHA-256 when it is strong, under bcrypt otherwise (as an imported one), with
// a sealed copy where the environment allows reveal.
func (a *applier) givenSecret(path string, env *gatehouse.Environment, clientID, secret string) (gatehouse.Secret, error) {
	sec, reason := a.s.importedSecret(secret, "")
	if reason != "" {
		return sec, refuse(path+".secret", "%s", reason)
	}
	sec.CreatedAt = a.now
	if env.AllowReveal {
		if a.s.masterKey == nil {
			return sec, refuse(path, "environment %s allows reveal, but this server has no master key to encrypt secrets with", env.Name)
		}
		sealed, err := a.s.masterKey.Seal(a.s.rand, sealPurpose, []byte(secret), []byte(clientID))
		if err != nil {
			return sec, fmt.Errorf("seal client secret: %w", err)
		}
		sec.Sealed = sealed
	}
	return sec, nil
}

// credential is the record of a new secret for the caller: the secret when
// it was generated, and the API key where the client id has the native
// form that API keys carry.
func (a *applier) credential(env *gatehouse.Environment, clientID, secret string, generated bool) *NewCredential {
	cred := &NewCredential{ClientID: clientID, Environment: env.Name}
	if generated {
		cred.Secret = secret
	}
	key := gatehouse.FormatAPIKeyFor(env, clientID, secret)
	if id, sec, err := gatehouse.ParseAPIKey(key); err == nil && id == clientID && sec == secret {
		cred.APIKey = key
	}
	if cred.Secret == "" && cred.APIKey == "" {
		return nil
	}
	return cred
}

func countSecrets(n int) string {
	if n == 1 {
		return "1 secret"
	}
	return fmt.Sprintf("%d secrets", n)
}

func clientDiff(have, want *gatehouse.Client) []FieldChange {
	var d differ
	h := &gatehouse.Client{}
	if have != nil {
		h = have
	}
	created := have == nil
	d.str(created, "account", accountKey(h.AccountID), accountKey(want.AccountID))
	d.str(created, "name", h.Name, want.Name)
	d.list(created, "scopes", sortedSet(h.Scopes), want.Scopes)
	d.list(created, "audiences", sortedSet(h.Audiences), want.Audiences)
	d.list(created, "allowed_cidrs", cidrStrings(h.AllowedCIDRs), cidrStrings(want.AllowedCIDRs))
	ho, wo := fileOverrides(h.Tokens), fileOverrides(want.Tokens)
	d.str(created, "tokens.format", deref(ho.Format), deref(wo.Format))
	d.str(created, "tokens.lifetime_seconds", derefInt(ho.LifetimeSeconds), derefInt(wo.LifetimeSeconds))
	d.str(created, "tokens.reuse", derefBool(ho.Reuse), derefBool(wo.Reuse))
	d.str(created, "tokens.default_audience", deref(ho.DefaultAudience), deref(wo.DefaultAudience))
	d.str(created, "jwks", h.JWKS, want.JWKS)
	d.str(created, "public_key_pem", h.PublicKeyPEM, want.PublicKeyPEM)
	if created && want.MustRotate {
		d.str(created, "must_rotate", "", "true")
	}
	if !created && h.Status != want.Status && want.Status == gatehouse.ClientRevoked {
		// The revocation is its own change.
		return d.fields
	}
	if created {
		d.str(created, "status", "", want.Status)
	}
	return d.fields
}

func accountKey(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

func cidrStrings(list []netip.Prefix) []string {
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = p.String()
	}
	slices.Sort(out)
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefInt(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

func derefBool(v *bool) string {
	if v == nil {
		return ""
	}
	return strconv.FormatBool(*v)
}

// secretKey identifies a stored secret by its hash.
func secretKey(s gatehouse.Secret) string {
	if s.Imported != "" {
		return "imported:" + s.Imported
	}
	return hex.EncodeToString(s.Hash[:])
}

// sameSecrets reports whether a client's secrets are those a file lists:
// the same hashes, creation and expiry times.
func sameSecrets(have, want []gatehouse.Secret) bool {
	if len(have) != len(want) {
		return false
	}
	key := func(s gatehouse.Secret) string {
		return secretKey(s) + "|" + s.CreatedAt.UTC().Format(time.RFC3339Nano) + "|" + s.ExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	hk, wk := make([]string, len(have)), make([]string, len(want))
	for i := range have {
		hk[i] = key(have[i])
	}
	for i := range want {
		wk[i] = key(want[i])
	}
	slices.Sort(hk)
	slices.Sort(wk)
	return slices.Equal(hk, wk)
}

// keepSecretIDs returns the secrets a file lists, keeping the id and sealed
// copy of each one the client already has, so that its tokens stay valid.
func keepSecretIDs(have, want []gatehouse.Secret) []gatehouse.Secret {
	out := make([]gatehouse.Secret, len(want))
	for i, w := range want {
		out[i] = w
		for _, h := range have {
			if secretKey(h) == secretKey(w) {
				out[i].ID, out[i].Sealed = h.ID, h.Sealed
			}
		}
	}
	return out
}

func (a *applier) user(ctx context.Context, i int) error {
	fu := a.doc.Users[i]
	path := fmt.Sprintf("users[%d]", i)
	if ok, err := a.accountExists(ctx, fu.Account); err != nil {
		return err
	} else if !ok {
		return refuse(path+".account", "account %d does not exist and the file does not list it", fu.Account)
	}
	u, err := a.tx.UserByEmail(ctx, fu.Email)
	switch {
	case err == nil:
		if u.Operator || u.AccountID != fu.Account {
			return refuse(path+".account", "%s is a user of another account or an operator; a user's account does not change", fu.Email)
		}
		var d differ
		d.str(false, "role", u.Role, fu.Role)
		d.str(false, "disabled", strconv.FormatBool(u.Disabled), strconv.FormatBool(fu.Disabled))
		if len(d.fields) == 0 {
			return nil
		}
		if err := a.lockUsers(ctx, u.AccountID); err != nil {
			return err
		}
		if fu.Disabled && !u.Disabled {
			if _, err := a.tx.DeleteUserSessions(ctx, u.ID); err != nil {
				return err
			}
		}
		u.Role, u.Disabled = fu.Role, fu.Disabled
		if err := a.tx.UpdateUser(ctx, u); err != nil {
			return fmt.Errorf("update user %d: %w", u.ID, err)
		}
		a.add(PlanUpdate, KindUser, u.Email, d.fields)
		return a.s.audit(ctx, a.tx, a.p, "user.update", fmt.Sprintf("user:%d", u.ID), "", u.Email+": apply: "+fieldNames(d.fields))
	case !errors.Is(err, gatehouse.ErrNotFound):
		return fmt.Errorf("load user %s: %w", fu.Email, err)
	}
	pending, err := a.tx.Invitations(ctx, fu.Account)
	if err != nil {
		return fmt.Errorf("list invitations of account %d: %w", fu.Account, err)
	}
	var mine []*gatehouse.Invitation
	for _, inv := range pending {
		if strings.EqualFold(inv.Email, fu.Email) {
			mine = append(mine, inv)
		}
	}
	if !fu.Disabled && len(mine) == 1 && mine[0].Role == fu.Role && mine[0].Pending(a.now) {
		return nil
	}
	if err := a.lockUsers(ctx, fu.Account); err != nil {
		return err
	}
	var d differ
	from := ""
	for _, inv := range mine {
		from = inv.Role + " (invited)"
		if err := a.tx.DeleteInvitation(ctx, inv.ID); err != nil {
			return fmt.Errorf("replace invitation %d: %w", inv.ID, err)
		}
	}
	if fu.Disabled {
		// Disabled: stored as a user who cannot sign in, so that the
		// file and the server agree.
		nu := &gatehouse.User{Email: fu.Email, PasswordHash: unusablePassword, AccountID: fu.Account, Role: fu.Role, Disabled: true, CreatedAt: a.now}
		if err := a.tx.CreateUser(ctx, nu); err != nil {
			return fmt.Errorf("create user %s: %w", fu.Email, err)
		}
		d.str(true, "role", "", fu.Role)
		d.str(true, "disabled", "", "true")
		a.add(PlanCreate, KindUser, fu.Email, d.fields)
		return a.s.audit(ctx, a.tx, a.p, "user.create", fmt.Sprintf("user:%d", nu.ID), "", fu.Email+": apply: disabled, without a password")
	}
	token, err := gatehouse.RandomString(a.s.rand, invitationTokenLength)
	if err != nil {
		return fmt.Errorf("generate invitation token: %w", err)
	}
	inv := &gatehouse.Invitation{AccountID: fu.Account, Email: fu.Email, Role: fu.Role, TokenHash: sha256.Sum256([]byte(token)),
		InvitedBy: a.p.Actor(), CreatedAt: a.now, ExpiresAt: a.now.Add(InvitationLifetime)}
	if err := a.tx.CreateInvitation(ctx, inv); err != nil {
		return fmt.Errorf("invite %s: %w", fu.Email, err)
	}
	action := PlanCreate
	if from != "" {
		action = PlanUpdate
	}
	d.str(from == "", "role", from, fu.Role+" (invited)")
	a.add(action, KindUser, fu.Email, d.fields)
	a.res.Invitations = append(a.res.Invitations, NewInvitation{Email: fu.Email, AccountID: fu.Account, Role: fu.Role,
		Link: strings.TrimSuffix(a.s.publicURL, "/") + InvitationLinkPath + token, ExpiresAt: inv.ExpiresAt})
	return a.s.audit(ctx, a.tx, a.p, "user.invite", fmt.Sprintf("invitation:%d", inv.ID), "",
		fmt.Sprintf("%s as %s in account %d: apply", fu.Email, fu.Role, fu.Account))
}

// lockUsers takes the lock on an account's users before the first change of
// them, and counts its active owners then.
func (a *applier) lockUsers(ctx context.Context, accountID int64) error {
	if _, ok := a.owners[accountID]; ok {
		return nil
	}
	if err := a.tx.LockAccount(ctx, accountID); err != nil {
		return lookupError(err, fmt.Sprintf("account %d", accountID))
	}
	n, err := a.tx.CountActiveOwners(ctx, accountID)
	if err != nil {
		return err
	}
	a.owners[accountID] = n
	return nil
}

// checkOwners refuses a file that leaves an account that had an active
// owner without one.
func (a *applier) checkOwners(ctx context.Context) error {
	for id, before := range a.owners {
		if before == 0 {
			continue
		}
		n, err := a.tx.CountActiveOwners(ctx, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return gatehouse.Errorf(gatehouse.ECONFLICT,
				"users: the file leaves account %d without an active owner; an account always keeps at least one", id)
		}
	}
	return nil
}

// prune revokes and deletes what the file does not list, within its scope:
// the clients of the listed environments that belong to listed accounts,
// and the users and invitations of the listed accounts.
func (a *applier) prune(ctx context.Context) error {
	accounts := map[int64]bool{}
	for _, fa := range a.doc.Accounts {
		accounts[fa.ID] = true
	}
	listed := map[string]bool{}
	for _, fc := range a.doc.Clients {
		listed[fc.ID] = true
	}
	for _, fe := range a.doc.Environments {
		var stale []*gatehouse.Client
		err := eachClient(ctx, a.tx, gatehouse.ClientFilter{Environment: fe.Name}, func(c *gatehouse.Client) error {
			if accounts[c.AccountID] && !listed[c.ID] && c.Active() {
				stale = append(stale, c)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, c := range stale {
			if err := a.revoke(ctx, c, "(prune: not in the file)"); err != nil {
				return err
			}
		}
	}
	emails := map[string]bool{}
	for _, fu := range a.doc.Users {
		emails[strings.ToLower(fu.Email)+"\x00"+strconv.FormatInt(fu.Account, 10)] = true
	}
	for _, fa := range a.doc.Accounts {
		members, err := a.s.accountMembers(ctx, a.tx, fa.ID)
		if err != nil {
			return err
		}
		for _, m := range members {
			if emails[strings.ToLower(m.entry.Email)+"\x00"+strconv.FormatInt(fa.ID, 10)] {
				continue
			}
			if err := a.lockUsers(ctx, fa.ID); err != nil {
				return err
			}
			if m.user != nil {
				if err := a.tx.DeleteUser(ctx, m.user.ID); err != nil {
					return fmt.Errorf("delete user %d: %w", m.user.ID, err)
				}
				a.add(PlanDelete, KindUser, m.user.Email, []FieldChange{{Field: "role", From: m.user.Role}})
				if err := a.s.audit(ctx, a.tx, a.p, "user.delete", fmt.Sprintf("user:%d", m.user.ID), "", m.user.Email+": apply (prune)"); err != nil {
					return err
				}
			}
		}
		// Invitations of people the file does not list, whether or not
		// they were members above (a user's stale invitation goes too).
		invs, err := a.tx.Invitations(ctx, fa.ID)
		if err != nil {
			return fmt.Errorf("list invitations of account %d: %w", fa.ID, err)
		}
		for _, inv := range invs {
			if emails[strings.ToLower(inv.Email)+"\x00"+strconv.FormatInt(fa.ID, 10)] {
				continue
			}
			if err := a.tx.DeleteInvitation(ctx, inv.ID); err != nil {
				return fmt.Errorf("delete invitation %d: %w", inv.ID, err)
			}
			a.add(PlanDelete, KindUser, inv.Email, []FieldChange{{Field: "role", From: inv.Role + " (invited)"}})
			if err := a.s.audit(ctx, a.tx, a.p, "invitation.cancel", fmt.Sprintf("invitation:%d", inv.ID), "", inv.Email+": apply (prune)"); err != nil {
				return err
			}
		}
	}
	return nil
}
