package importfile

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// An Ory Hydra client list ("hydra list oauth2-clients --format json", or
// GET /admin/clients) is a JSON array of clients or {"items": [...]}. It
// never holds secrets: they come from a separate secrets file (CSV with a
// header: client_id, and secret or secret_hash, the BCrypt or PBKDF2 hash
// Hydra stored), joined by client_id. A client that authenticates with a
// secret but has none in that file must rotate. Hydra has no environments,
// so Options.Environment is required; the account is Options.Account, or
// else the client's owner.

// Hydra token endpoint authentication methods.
const (
	hydraSecretBasic = "client_secret_basic"
	hydraSecretPost  = "client_secret_post"
	hydraSecretJWT   = "client_secret_jwt"
	hydraPrivateJWT  = "private_key_jwt"
	hydraNone        = "none"
)

type hydraClient struct {
	ClientID                string          `json:"client_id"`
	ClientName              string          `json:"client_name"`
	ClientSecret            string          `json:"client_secret"`
	Scope                   string          `json:"scope"`
	Audience                []string        `json:"audience"`
	GrantTypes              []string        `json:"grant_types"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method"`
	JWKS                    json.RawMessage `json:"jwks"`
	JWKSURI                 string          `json:"jwks_uri"`
	Owner                   string          `json:"owner"`
	// ClientCredentialsLifespan is Hydra's per-client token lifetime of
	// the client credentials grant, a Go duration ("1h0m0s").
	ClientCredentialsLifespan string `json:"client_credentials_grant_access_token_lifespan"`
}

// hydraSecret is a row of a secrets file.
type hydraSecret struct {
	line         int
	secret, hash string
	used         bool
}

// readHydra reads a client list and joins its secrets file.
func readHydra(doc []byte, o Options) ([]manage.ImportClient, error) {
	if strings.TrimSpace(o.Environment) == "" {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "a Hydra client list names no environment: choose the one to import into (--env, or the env parameter)")
	}
	clients, prefix, err := hydraClients(doc)
	if err != nil {
		return nil, err
	}
	if len(clients) > MaxRows {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "a file holds at most %d rows", MaxRows)
	}
	secrets := map[string]*hydraSecret{}
	var rows []manage.ImportClient
	if o.Secrets != nil {
		if rows, err = readHydraSecrets(o.Secrets, secrets); err != nil {
			return nil, err
		}
	}
	// Rows of the secrets file that cannot be read come first; those that
	// name no client of the list, last.
	for i, raw := range clients {
		rows = append(rows, hydraRow(fmt.Sprintf("%s[%d]", prefix, i), raw, secrets, o))
	}
	var unused []*hydraSecret
	for _, s := range secrets {
		if !s.used {
			unused = append(unused, s)
		}
	}
	slices.SortFunc(unused, func(a, b *hydraSecret) int { return a.line - b.line })
	for _, s := range unused {
		rows = append(rows, manage.ImportClient{Line: s.line, Path: fmt.Sprintf("secrets:%d", s.line),
			Problem: "the secrets file names a client that is not in the client list"})
	}
	return rows, nil
}

// hydraClients returns the clients of a list and the path of the list.
func hydraClients(doc []byte) ([]json.RawMessage, string, error) {
	doc = bytes.TrimPrefix(doc, []byte("\xEF\xBB\xBF"))
	var list []json.RawMessage
	if json.Unmarshal(doc, &list) == nil {
		return list, "", nil
	}
	var wrapped struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(doc, &wrapped); err != nil || wrapped.Items == nil {
		problem := "no items"
		if err != nil {
			problem = jsonProblem(err)
		}
		return nil, "", gatehouse.Errorf(gatehouse.EINVALID, "not a Hydra client list (a JSON array of clients, or {\"items\": [...]}): %s", problem)
	}
	return wrapped.Items, "items", nil
}

// readHydraSecrets reads a secrets file into secrets by client id, and
// returns its rows that cannot be read as refused rows.
func readHydraSecrets(r io.Reader, secrets map[string]*hydraSecret) ([]manage.ImportClient, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	col, err := readHeader(cr, "secrets file, ", []string{"client_id", "secret", "secret_hash"},
		"a header line naming client_id and secret or secret_hash is needed")
	if err != nil {
		return nil, err
	}
	if _, ok := col["client_id"]; !ok {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "secrets file, line 1: no client_id column")
	}
	var bad []manage.ImportClient
	problem := func(line int, format string, args ...any) {
		bad = append(bad, manage.ImportClient{Line: line, Path: fmt.Sprintf("secrets:%d", line), Problem: fmt.Sprintf(format, args...)})
	}
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return bad, nil
		}
		if n >= MaxRows {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "a secrets file holds at most %d rows", MaxRows)
		}
		line, _ := cr.FieldPos(0)
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			problem(perr.StartLine, "not valid CSV: %v", perr.Err)
			continue
		} else if err != nil {
			return nil, fmt.Errorf("read the secrets file: %w", err)
		}
		if len(rec) != len(col) {
			problem(line, "%d fields, the header names %d", len(rec), len(col))
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return rec[i]
			}
			return ""
		}
		id := strings.TrimSpace(get("client_id"))
		if prev, dup := secrets[id]; dup {
			problem(line, "client %s is also on line %d of the secrets file", id, prev.line)
			continue
		}
		secrets[id] = &hydraSecret{line: line, secret: get("secret"), hash: strings.TrimSpace(get("secret_hash"))}
	}
}

// hydraRow maps one Hydra client to an import row.
func hydraRow(path string, raw json.RawMessage, secrets map[string]*hydraSecret, o Options) manage.ImportClient {
	row := manage.ImportClient{Path: path, Environment: strings.TrimSpace(o.Environment)}
	var c hydraClient
	if err := json.Unmarshal(raw, &c); err != nil {
		row.Problem = "not a Hydra client: " + jsonProblem(err)
		return row
	}
	row.ClientID, row.Name, row.Account = c.ClientID, c.ClientName, cmpOr(o.Account, c.Owner)
	if s, ok := secrets[strings.TrimSpace(c.ClientID)]; ok {
		s.used = true
		row.Secret, row.SecretHash = s.secret, s.hash
	}
	if c.ClientSecret != "" && row.Secret == "" && row.SecretHash == "" {
		row.Secret = c.ClientSecret
	}
	method := cmpOr(c.TokenEndpointAuthMethod, hydraSecretBasic)
	switch {
	case !slices.Contains(c.GrantTypes, "client_credentials"):
		row.Skip = "its grant types do not include client_credentials"
		return row
	case method == hydraNone:
		row.Skip = "a public client (token_endpoint_auth_method none)"
		return row
	}
	if row.Account == "" {
		row.Problem = "the client has no owner: choose an account (--account, or the account parameter)"
		return row
	}
	row.Scopes = strings.Fields(c.Scope)
	row.Audiences = append([]string{}, c.Audience...)
	if v := strings.TrimSpace(c.ClientCredentialsLifespan); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			row.Problem = "client_credentials_grant_access_token_lifespan is not a duration"
			return row
		}
		row.TokenLifetime = d
	}
	switch method {
	case hydraSecretBasic, hydraSecretPost, hydraSecretJWT:
		if method == hydraSecretJWT {
			row.Note = "client_secret_jwt is not supported: the client authenticates with its secret by client_secret_basic or client_secret_post"
		}
		if row.Secret == "" && row.SecretHash == "" {
			row.MustRotate = true
			row.Note = joinNote(row.Note, "no secret in the secrets file")
		}
	case hydraPrivateJWT:
		jwks, problem := hydraJWKS(&c)
		row.JWKS, row.Problem = jwks, problem
	default:
		row.Problem = fmt.Sprintf("token_endpoint_auth_method %q is not supported", method)
	}
	return row
}

// hydraJWKS returns the inline JWK Set of a private_key_jwt client, or why
// it has none that Gatehouse can use.
func hydraJWKS(c *hydraClient) (string, string) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if len(c.JWKS) > 0 && string(c.JWKS) != "null" {
		if err := json.Unmarshal(c.JWKS, &set); err != nil {
			return "", "jwks is not a JWK Set"
		}
	}
	switch {
	case len(set.Keys) > 0:
		var compact bytes.Buffer
		if err := json.Compact(&compact, c.JWKS); err != nil {
			return "", "jwks is not a JWK Set"
		}
		return compact.String(), ""
	case strings.TrimSpace(c.JWKSURI) != "":
		return "", "the client's keys are at jwks_uri, which Gatehouse does not fetch: put them in jwks, or leave the client out and register its keys after import (gatehouse client set-keys)"
	}
	return "", "a private_key_jwt client without keys (jwks)"
}
