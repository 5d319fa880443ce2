package manage

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"golang.org/x/crypto/bcrypt"
)

// ImportClient is one client of an import file, as another server knew it.
// At most one of Secret, SecretHash and APIKey carries its credential; a
// row without any needs public keys (JWKS or PublicKeyPEM), or MustRotate.
type ImportClient struct {
	// Line is where the row is in its file (1 for the first line), for the
	// report.
	Line int
	// Path is where the row is in a JSON document that is not one object
	// a line (a Keycloak realm export: "realms[0].clients[3]"), for the
	// report; "" for CSV and JSON Lines.
	Path string
	// Problem is why the file's reader could not read the row; such a row
	// is refused.
	Problem string
	// Skip is why the file's reader leaves the row out (a built-in or a
	// public client of the other server, say); such a row is reported as
	// skipped with this reason and never written.
	Skip string
	// Note is what the reader wants the report to say of a row it imports
	// (what it dropped or changed on the way).
	Note         string
	ClientID     string
	Secret       string
	SecretHash   string
	APIKey       string
	Account      string // an account id, or the name of an account (created if none has it)
	Environment  string
	Scopes       []string
	AllowedCIDRs []string
	Name         string
	// MustRotate imports a client whose credential the other server did
	// not give out (a Hydra client list holds no secrets): it is created
	// with no secret in the must-rotate state (gatehouse.Client.MustRotate),
	// refused at the token endpoint until its secret is rotated or
	// renewed. A row with MustRotate carries no credential. For a client
	// that exists already it changes nothing more than another row would:
	// the client keeps its secrets and its state.
	MustRotate bool
	// Audiences are the client's allowed audiences; nil when the source
	// has none to say (an existing client's audiences are then kept).
	Audiences []string
	// JWKS (a JWK Set) or PublicKeyPEM (PEM PUBLIC KEY blocks) are the
	// public keys of a client that authenticates with private_key_jwt.
	// When set they replace an existing client's keys.
	JWKS         string
	PublicKeyPEM string
	// TokenLifetime, when not zero, is the client's token lifetime,
	// overriding its environment's (1 s to gatehouse.MaxTokenLifetime).
	TokenLifetime time.Duration
	// RotatedSecret is a rotated-out plain secret that still works until
	// RotatedExpires; it becomes the client's second secret with that
	// expiry, or is left out (and the report says so) when it has expired
	// already or has no expiry.
	RotatedSecret  string
	RotatedExpires time.Time
}

// Import outcomes of a row.
const (
	ImportCreate = "create"
	ImportUpdate = "update"
	ImportSkip   = "skip"
	ImportRefuse = "refuse"
)

// ImportResult is what happened, or would happen, to one row.
type ImportResult struct {
	Line     int
	Path     string
	ClientID string
	Action   string
	Reason   string
}

// ImportReport is the outcome of an import. Nothing is written unless
// Applied; a file with a refused row is never applied.
type ImportReport struct {
	Applied bool
	Created int
	Updated int
	Skipped int
	Refused int
	Rows    []ImportResult
}

// importedIDRE is the shape of an imported client id: printable, without
// the ":" that Basic authentication splits on, nor spaces.
var importedIDRE = regexp.MustCompile(`^[A-Za-z0-9._~@+\-]{1,128}$`)

// errDryRun rolls back the transaction of a dry run.
var errDryRun = errors.New("dry run")

// Import brings clients of another server into Gatehouse keeping their ids
// and credentials, in one transaction: either every row is written or none.
// Without apply it is a dry run that reports what it would do and writes
// nothing. A client that exists already has its name, scopes, allowlist and
// account brought in line, never its secrets (rotate those) nor its
// must-rotate state, so a second run of the same file changes nothing. Any
// refused row (its reason and line in the report) refuses the whole file.
// Import is for operators.
func (s *Service) Import(ctx context.Context, p *gatehouse.Principal, rows []ImportClient, apply bool) (*ImportReport, error) {
	if err := Authorize(p, ActOperate, 0, "the import of clients"); err != nil {
		return nil, err
	}
	rep := &ImportReport{Rows: make([]ImportResult, 0, len(rows))}
	err := s.store.InTx(ctx, func(tx gatehouse.Store) error {
		im := &importer{s: s, tx: tx, accounts: map[string]int64{}, envs: map[string]*gatehouse.Environment{}, seen: map[string]string{}}
		if err := im.loadAccounts(ctx); err != nil {
			return err
		}
		for i := range rows {
			res, err := im.row(ctx, &rows[i])
			if err != nil {
				return fmt.Errorf("line %d: %w", rows[i].Line, err)
			}
			rep.add(res)
		}
		if !apply || rep.Refused > 0 {
			return errDryRun
		}
		return s.audit(ctx, tx, p, "client.import", "clients", "",
			fmt.Sprintf("%d created, %d updated, %d unchanged", rep.Created, rep.Updated, rep.Skipped))
	})
	switch {
	case errors.Is(err, errDryRun):
	case err != nil:
		return nil, err
	default:
		rep.Applied = true
		if s.refresh != nil && rep.Created+rep.Updated > 0 {
			if err := s.refresh(context.WithoutCancel(ctx)); err != nil {
				s.logger.WarnContext(ctx, "manage: refreshing the credential cache failed; it catches up from the change feed", "err", err)
			}
		}
		s.logger.InfoContext(ctx, "manage: clients imported", "created", rep.Created, "updated", rep.Updated,
			"unchanged", rep.Skipped, "actor", p.Actor())
	}
	return rep, nil
}

func (r *ImportReport) add(res ImportResult) {
	switch res.Action {
	case ImportCreate:
		r.Created++
	case ImportUpdate:
		r.Updated++
	case ImportSkip:
		r.Skipped++
	case ImportRefuse:
		r.Refused++
	}
	r.Rows = append(r.Rows, res)
}

// importer carries one import's transaction and what it has learnt.
type importer struct {
	s        *Service
	tx       gatehouse.Store
	accounts map[string]int64 // by name
	envs     map[string]*gatehouse.Environment
	seen     map[string]string // client id → where it was (place)
}

// place is where a row is, for a report: its path or its line.
func place(r *ImportClient) string {
	if r.Path != "" {
		return r.Path
	}
	return fmt.Sprintf("line %d", r.Line)
}

func (im *importer) loadAccounts(ctx context.Context) error {
	var after int64
	for {
		page, err := im.tx.Accounts(ctx, gatehouse.AccountFilter{AfterID: after, Limit: 1000})
		if err != nil {
			return fmt.Errorf("list accounts: %w", err)
		}
		for _, a := range page {
			if _, ok := im.accounts[a.Name]; !ok {
				im.accounts[a.Name] = a.ID
			}
			after = a.ID
		}
		if len(page) < 1000 {
			return nil
		}
	}
}

// row imports one row. A row that cannot be imported is a refusal, not an
// error; an error is a failure of the store.
func (im *importer) row(ctx context.Context, r *ImportClient) (ImportResult, error) {
	res := ImportResult{Line: r.Line, Path: r.Path, ClientID: r.ClientID}
	refuse := func(format string, args ...any) (ImportResult, error) {
		res.Action, res.Reason = ImportRefuse, fmt.Sprintf(format, args...)
		return res, nil
	}
	if r.Problem != "" {
		return refuse("%s", r.Problem)
	}
	if r.Skip != "" {
		res.Action, res.Reason = ImportSkip, r.Skip
		return res, nil
	}
	want, secret, reason := im.s.importedClient(r)
	if reason != "" {
		return refuse("%s", reason)
	}
	res.ClientID = want.ID
	if where, dup := im.seen[want.ID]; dup {
		return refuse("client %s is also at %s", want.ID, where)
	}
	im.seen[want.ID] = place(r)
	env, err := im.environment(ctx, want.Environment)
	if err != nil || env == nil {
		if env == nil && err == nil {
			return refuse("environment %q does not exist (create it first, or import into another one)", want.Environment)
		}
		return res, err
	}
	if want.AccountID, reason, err = im.account(ctx, r.Account); err != nil || reason != "" {
		if err != nil {
			return res, err
		}
		return refuse("%s", reason)
	}
	if err := want.Validate(); err != nil {
		return refuse("%s", gatehouse.ErrorMessage(err))
	}
	have, err := im.tx.Client(ctx, want.ID)
	switch {
	case errors.Is(err, gatehouse.ErrNotFound) && r.MustRotate:
		want.MustRotate = true
		if err := im.tx.CreateClient(ctx, want); err != nil {
			return res, fmt.Errorf("create client %s: %w", want.ID, err)
		}
		res.Action, res.Reason = ImportCreate, joinNotes(r.Note, "must rotate: no secret until one is issued")
		return res, nil
	case errors.Is(err, gatehouse.ErrNotFound):
		secrets, note, reason := im.s.importedSecrets(r, secret)
		if reason != "" {
			return refuse("%s", reason)
		}
		want.Secrets = secrets
		if err := im.tx.CreateClient(ctx, want); err != nil {
			return res, fmt.Errorf("create client %s: %w", want.ID, err)
		}
		res.Action, res.Reason = ImportCreate, joinNotes(r.Note, note)
		return res, nil
	case err != nil:
		return res, fmt.Errorf("load client %s: %w", want.ID, err)
	}
	if have.Environment != want.Environment {
		return refuse("client %s exists in environment %s, not %s", want.ID, have.Environment, want.Environment)
	}
	if !have.Active() {
		return refuse("client %s exists and is revoked", want.ID)
	}
	if !bringInLine(have, want, r) {
		res.Action, res.Reason = ImportSkip, "unchanged"
		if have.MustRotate && (secret != "" || r.SecretHash != "") {
			res.Reason = "unchanged; it still must rotate (an import never sets the secrets of an existing client: rotate it)"
		}
		return res, nil
	}
	if err := have.Validate(); err != nil {
		return refuse("%s", gatehouse.ErrorMessage(err))
	}
	if err := im.tx.UpdateClient(ctx, have); err != nil {
		return res, fmt.Errorf("update client %s: %w", want.ID, err)
	}
	res.Action, res.Reason = ImportUpdate, "name, scopes, audiences, allowlist, account, public keys or token lifetime changed; secrets kept"
	return res, nil
}

// importedClient checks a row's fields and returns the client it asks for
// (without account and secrets) and its plain secret, if any, or the reason
// to refuse it. The reason never contains a credential.
func (s *Service) importedClient(r *ImportClient) (*gatehouse.Client, string, string) {
	id, secret := strings.TrimSpace(r.ClientID), r.Secret
	creds := 0
	for _, v := range []string{r.Secret, r.SecretHash, r.APIKey} {
		if v != "" {
			creds++
		}
	}
	keys := r.JWKS != "" || r.PublicKeyPEM != ""
	switch {
	case r.MustRotate && creds != 0:
		return nil, "", "a must_rotate row carries no secret, secret_hash or api_key"
	case creds > 1:
		return nil, "", "give exactly one of secret, secret_hash and api_key"
	case creds == 0 && !keys && !r.MustRotate:
		return nil, "", "give exactly one of secret, secret_hash and api_key (or none, with must_rotate or public keys)"
	case r.RotatedSecret != "" && r.Secret == "" && r.SecretHash == "":
		return nil, "", "a rotated secret needs a current secret"
	}
	if r.APIKey != "" {
		key := strings.TrimSpace(r.APIKey)
		keyID, keySecret, err := gatehouse.ParseAPIKey(key)
		switch {
		case err == nil:
		case gatehouse.LooksLikeAPIKey(key):
			return nil, "", "api_key is shaped like a Gatehouse API key but does not check out"
		case !gatehouse.ValidLegacyKey(key):
			return nil, "", "api_key is neither a Gatehouse API key nor a legacy key of 32-256 printable characters carrying at least 128 bits"
		default:
			// A legacy key: its client's id is derived from it.
			keyID, keySecret = gatehouse.LegacyKeyClientID(key), key
		}
		if id != "" && id != keyID {
			return nil, "", "client_id differs from the client id of api_key (a legacy key's client id is derived from the key: leave client_id empty)"
		}
		id, secret = keyID, keySecret
	}
	if !importedIDRE.MatchString(id) {
		return nil, "", "client_id must be 1-128 letters, digits or ._~@+-"
	}
	if r.Environment == gatehouse.EnvAdmin {
		return nil, "", "clients of the admin environment are not imported"
	}
	cidrs, err := parseCIDRs(r.AllowedCIDRs)
	if err != nil {
		return nil, "", gatehouse.ErrorMessage(err)
	}
	now := s.now().UTC()
	name := strings.TrimSpace(r.Name)
	if name == "" {
		name = id
	}
	c := &gatehouse.Client{
		ID: id, Environment: strings.TrimSpace(r.Environment), Name: name, Scopes: distinct(r.Scopes),
		AllowedCIDRs: cidrs, Status: gatehouse.ClientActive, CreatedAt: now, UpdatedAt: now,
		JWKS: r.JWKS, PublicKeyPEM: r.PublicKeyPEM,
	}
	if r.Audiences != nil {
		c.Audiences = distinct(r.Audiences)
	}
	if r.TokenLifetime != 0 {
		if r.TokenLifetime < time.Second || r.TokenLifetime > gatehouse.MaxTokenLifetime {
			return nil, "", fmt.Sprintf("token lifetime %s is outside 1s to %s", r.TokenLifetime, gatehouse.MaxTokenLifetime)
		}
		lifetime := r.TokenLifetime.Truncate(time.Second)
		c.Tokens.Lifetime = &lifetime
	}
	return c, secret, ""
}

// importedSecret returns the stored form of an imported credential: a
// strong plain secret under the native hash, a weak one under bcrypt (never
// a fast unsalted hash), a hash as it was imported.
func (s *Service) importedSecret(secret, hash string) (gatehouse.Secret, string) {
	sec := gatehouse.Secret{CreatedAt: s.now().UTC()}
	switch {
	case hash != "":
		h, err := gatehouse.ParseImportedHash(hash)
		if err != nil {
			return sec, gatehouse.ErrorMessage(err)
		}
		sec.Imported = h
	case gatehouse.StrongSecret(secret):
		sec.Hash = gatehouse.HashSecret(secret)
	case len(secret) > 72:
		return sec, "secret is longer than 72 bytes yet weaker than 128 bits"
	default:
		b, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.DefaultCost)
		if err != nil {
			return sec, "secret cannot be hashed"
		}
		sec.Imported = string(b)
	}
	return sec, ""
}

func (im *importer) environment(ctx context.Context, name string) (*gatehouse.Environment, error) {
	if env, ok := im.envs[name]; ok {
		return env, nil
	}
	env, err := im.tx.Environment(ctx, name)
	if errors.Is(err, gatehouse.ErrNotFound) {
		env, err = nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("load environment %s: %w", name, err)
	}
	im.envs[name] = env
	return env, nil
}

// account returns the id of the account a row names: an existing id, or
// a name (an account of that name is created if there is none).
func (im *importer) account(ctx context.Context, v string) (int64, string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, "account is required (an account id or name)", nil
	}
	if id, err := strconv.ParseInt(v, 10, 64); err == nil {
		if _, err := im.tx.Account(ctx, id); errors.Is(err, gatehouse.ErrNotFound) {
			return 0, fmt.Sprintf("account %d does not exist", id), nil
		} else if err != nil {
			return 0, "", fmt.Errorf("load account %d: %w", id, err)
		}
		return id, "", nil
	}
	if id, ok := im.accounts[v]; ok {
		return id, "", nil
	}
	a := &gatehouse.Account{Name: v, CreatedAt: im.s.now().UTC()}
	if err := a.Validate(); err != nil {
		return 0, gatehouse.ErrorMessage(err), nil
	}
	if err := im.tx.CreateAccount(ctx, a); err != nil {
		return 0, "", fmt.Errorf("create account %q: %w", v, err)
	}
	im.accounts[v] = a.ID
	return a.ID, "", nil
}
