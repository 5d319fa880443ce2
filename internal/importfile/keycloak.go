package importfile

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// A Keycloak realm export ("kc.sh export", or the admin console's partial
// export) is one realm object, a list of them, or {"realms": [...]}. Each
// client that obtains tokens by the client credentials grant (service
// accounts on, confidential, not bearer-only) becomes a Gatehouse client
// keeping its clientId and secret, in the environment named like its realm
// and the account named like its realm (Options may choose others). Every
// other client is reported as skipped with the reason.

// KeycloakBuiltinClients are the clients Keycloak creates in every realm;
// they are skipped.
var KeycloakBuiltinClients = []string{
	"account", "account-console", "admin-cli", "broker", "realm-management", "security-admin-console",
}

// KeycloakBuiltinScopes are the client scopes Keycloak creates in every
// realm to shape OpenID Connect tokens and user sessions; they are not API
// scopes, so they are dropped from a client's allowed scopes.
var KeycloakBuiltinScopes = []string{
	"acr", "address", "basic", "email", "microprofile-jwt", "offline_access", "organization", "phone",
	"profile", "role_list", "roles", "saml_organization", "service_account", "web-origins",
}

// keycloakMasked is the secret of a partial export (the admin console's
// "Partial export", which never holds a secret).
const keycloakMasked = "**********"

// Attributes of a Keycloak client that the import reads.
const (
	kcAttrCertificate     = "jwt.credential.certificate"            // base64 DER X.509 certificate (client-jwt)
	kcAttrUseJWKSURL      = "use.jwks.url"                          // "true": keys at jwks.url
	kcAttrJWKSURL         = "jwks.url"                              //
	kcAttrUseJWKSString   = "use.jwks.string"                       // "true": keys in jwks.string
	kcAttrJWKSString      = "jwks.string"                           // an inline JWK Set
	kcAttrRotated         = "client.secret.rotated"                 // the previous secret during a rotation
	kcAttrRotatedExpires  = "client.secret.rotated.expiration.time" // epoch seconds
	kcAttrTokenLifespan   = "access.token.lifespan"                 // seconds
	kcAuthSecret          = "client-secret"
	kcAuthJWT             = "client-jwt"
	kcAuthSecretJWT       = "client-secret-jwt"
	kcAuthX509            = "client-x509"
	kcProtocolOpenIDConn  = "openid-connect"
	keycloakTrueAttribute = "true"
)

type kcRealm struct {
	Realm   string            `json:"realm"`
	Clients []json.RawMessage `json:"clients"`
}

type kcClient struct {
	ClientID                string            `json:"clientId"`
	Name                    string            `json:"name"`
	Enabled                 *bool             `json:"enabled"`
	Protocol                string            `json:"protocol"`
	PublicClient            bool              `json:"publicClient"`
	BearerOnly              bool              `json:"bearerOnly"`
	ServiceAccountsEnabled  bool              `json:"serviceAccountsEnabled"`
	ClientAuthenticatorType string            `json:"clientAuthenticatorType"`
	Secret                  string            `json:"secret"`
	Attributes              map[string]string `json:"attributes"`
	DefaultClientScopes     []string          `json:"defaultClientScopes"`
	OptionalClientScopes    []string          `json:"optionalClientScopes"`
}

// readKeycloak reads a realm export.
func readKeycloak(doc []byte, o Options) ([]manage.ImportClient, error) {
	realms, prefix, list, err := keycloakRealms(doc)
	if err != nil {
		return nil, err
	}
	var rows []manage.ImportClient
	for i, raw := range realms {
		at := ""
		if list {
			at = fmt.Sprintf("%s[%d]", prefix, i)
		}
		var realm kcRealm
		if err := json.Unmarshal(raw, &realm); err != nil {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "%s is not a Keycloak realm: %s", orDocument(at), jsonProblem(err))
		}
		for j, rc := range realm.Clients {
			if len(rows) >= MaxRows {
				return nil, gatehouse.Errorf(gatehouse.EINVALID, "a file holds at most %d rows", MaxRows)
			}
			path := fmt.Sprintf("clients[%d]", j)
			if at != "" {
				path = at + "." + path
			}
			rows = append(rows, keycloakRow(path, realm.Realm, rc, o))
		}
	}
	return rows, nil
}

// keycloakRealms returns the realm objects of an export and, when they are
// in a list, the path of the list ("" for a top-level array).
func keycloakRealms(doc []byte) (realms []json.RawMessage, prefix string, inList bool, err error) {
	doc = bytes.TrimPrefix(doc, []byte("\xEF\xBB\xBF"))
	if json.Unmarshal(doc, &realms) == nil {
		return realms, "", true, nil
	}
	var wrapped struct {
		Realms []json.RawMessage `json:"realms"`
	}
	if err := json.Unmarshal(doc, &wrapped); err != nil {
		return nil, "", false, gatehouse.Errorf(gatehouse.EINVALID, "not a Keycloak realm export: %s", jsonProblem(err))
	}
	if wrapped.Realms != nil {
		return wrapped.Realms, "realms", true, nil
	}
	return []json.RawMessage{doc}, "", false, nil
}

func orDocument(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

// keycloakRow maps one Keycloak client to an import row.
func keycloakRow(path, realm string, raw json.RawMessage, o Options) manage.ImportClient {
	row := manage.ImportClient{Path: path, Environment: cmpOr(o.Environment, realm), Account: cmpOr(o.Account, realm)}
	var c kcClient
	if err := json.Unmarshal(raw, &c); err != nil {
		row.Problem = "not a Keycloak client: " + jsonProblem(err)
		return row
	}
	row.ClientID, row.Name = c.ClientID, c.Name
	if row.Skip = keycloakSkip(&c); row.Skip != "" {
		return row
	}
	if row.Environment == "" {
		row.Problem = "the realm has no name: choose an environment"
		return row
	}
	row.Scopes = keycloakScopes(&c)
	if v := strings.TrimSpace(c.Attributes[kcAttrTokenLifespan]); v != "" {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			row.Problem = kcAttrTokenLifespan + " must be a whole number of seconds"
			return row
		}
		if sec != 0 {
			// Negative or too long: refused by the service with the range.
			row.TokenLifetime = time.Duration(max(min(sec, 1<<32), -1)) * time.Second
		}
	}
	switch c.ClientAuthenticatorType {
	case "", kcAuthSecret, kcAuthSecretJWT:
		if c.ClientAuthenticatorType == kcAuthSecretJWT {
			row.Note = "client-secret-jwt is not supported: the client authenticates with its secret by client_secret_basic or client_secret_post"
		}
		keycloakSecrets(&row, &c)
	case kcAuthJWT:
		keycloakKeys(&row, &c)
	case kcAuthX509:
		row.Problem = "client-x509 (mutual TLS) authentication is not supported; change the client to client-secret or client-jwt first, or leave it out of the file"
	default:
		row.Problem = fmt.Sprintf("client authenticator %q is not supported", c.ClientAuthenticatorType)
	}
	return row
}

// keycloakSkip returns why a client is not imported, or "".
func keycloakSkip(c *kcClient) string {
	switch {
	case slices.Contains(KeycloakBuiltinClients, c.ClientID):
		return "a built-in client of Keycloak"
	case c.Protocol != "" && c.Protocol != kcProtocolOpenIDConn:
		return fmt.Sprintf("a %s client, not OpenID Connect", c.Protocol)
	case c.BearerOnly:
		return "a bearer-only client (obtains no tokens)"
	case c.PublicClient:
		return "a public client (no credential)"
	case !c.ServiceAccountsEnabled:
		return "service accounts are off (the client does not use the client credentials grant)"
	case c.Enabled != nil && !*c.Enabled:
		return "disabled in Keycloak"
	}
	return ""
}

// keycloakScopes returns a client's default and optional client scopes but
// Keycloak's built-in ones.
func keycloakScopes(c *kcClient) []string {
	out := []string{}
	for _, s := range slices.Concat(c.DefaultClientScopes, c.OptionalClientScopes) {
		if !slices.Contains(KeycloakBuiltinScopes, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// keycloakSecrets sets the current secret of a client-secret client and
// its rotated-out one. A secret masked by a partial export cannot be
// imported: the client must rotate.
func keycloakSecrets(row *manage.ImportClient, c *kcClient) {
	switch c.Secret {
	case "", keycloakMasked:
		row.MustRotate = true
		row.Note = joinNote(row.Note, "the export holds no secret (a partial export masks them)")
		return
	}
	row.Secret = c.Secret
	rotated := c.Attributes[kcAttrRotated]
	switch rotated {
	case "":
		return
	case keycloakMasked:
		row.Note = joinNote(row.Note, "the rotated secret is masked in the export and was left out")
		return
	}
	row.RotatedSecret = rotated
	if v := strings.TrimSpace(c.Attributes[kcAttrRotatedExpires]); v != "" {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil || sec <= 0 {
			row.Problem = kcAttrRotatedExpires + " must be a time in seconds since 1970"
			return
		}
		row.RotatedExpires = time.Unix(sec, 0).UTC()
	}
}

// keycloakKeys sets the public keys of a client-jwt client: its certificate
// or its inline JWK Set. Keys at a URL are not fetched.
func keycloakKeys(row *manage.ImportClient, c *kcClient) {
	a := c.Attributes
	switch {
	case a[kcAttrUseJWKSURL] == keycloakTrueAttribute && strings.TrimSpace(a[kcAttrJWKSURL]) != "":
		row.Problem = "the client's keys are at a JWKS URL, which Gatehouse does not fetch: put the keys (a certificate or jwks.string) in the export, or leave the client out and register its keys after import (gatehouse client set-keys)"
	case a[kcAttrUseJWKSString] == keycloakTrueAttribute && strings.TrimSpace(a[kcAttrJWKSString]) != "":
		row.JWKS = strings.TrimSpace(a[kcAttrJWKSString])
	case strings.TrimSpace(a[kcAttrCertificate]) != "":
		pemText, problem := certificatePublicKey(a[kcAttrCertificate])
		row.PublicKeyPEM, row.Problem = pemText, problem
	default:
		row.Problem = "a client-jwt client without a certificate (jwt.credential.certificate) or a JWK Set (jwks.string)"
	}
}

// certificatePublicKey returns the public key of a base64 DER certificate
// (PEM armour tolerated) as a PEM PUBLIC KEY block, or why it cannot.
func certificatePublicKey(text string) (string, string) {
	text = strings.TrimSpace(text)
	var der []byte
	if block, _ := pem.Decode([]byte(text)); block != nil {
		der = block.Bytes
	} else {
		var err error
		if der, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), "")); err != nil {
			return "", kcAttrCertificate + " is not base64"
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", kcAttrCertificate + " is not an X.509 certificate"
	}
	pub, err := x509.MarshalPKIXPublicKey(cert.PublicKey)
	if err != nil {
		return "", kcAttrCertificate + ": the certificate's key type is not supported"
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})), ""
}

func cmpOr(a, b string) string {
	if a = strings.TrimSpace(a); a != "" {
		return a
	}
	return strings.TrimSpace(b)
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
