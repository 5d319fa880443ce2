package httpapi

import (
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// Dialect configures one legacy token endpoint (docs/dialects.md): a request parser
// and a response writer around the one issuing core, so authentication,
// allowlists, rate limits, reuse and audit apply as on the standard endpoint.
type Dialect struct {
	Enabled bool
	Path    string
	// Settings are the dialect's token lifetime and reuse defaults, with
	// per-environment overrides.
	Settings tokens.DialectSettings
}

// Dialects are the legacy token endpoints.
type Dialects struct {
	// Lengow: POST /access/get_token with access_token and secret.
	Lengow Dialect
	// Lemonway: POST /oauth/api/v1/oauth/token with "Authorization: basic <api key>".
	Lemonway Dialect
}

// Default paths and settings of the dialects.
const (
	LengowPath       = "/access/get_token"
	LemonwayPath     = "/oauth/api/v1/oauth/token"
	LengowLifetime   = time.Hour
	LemonwayLifetime = 90 * 24 * time.Hour
)

// DefaultDialects returns both dialects switched on at their documented
// paths: Lengow tokens live 3600 s; Lemonway tokens live 90 days and are
// reused (a client asking again gets its unexpired token back).
func DefaultDialects() Dialects {
	lengowLife, lemonwayLife, reuse := LengowLifetime, LemonwayLifetime, true
	return Dialects{
		Lengow: Dialect{Enabled: true, Path: LengowPath,
			Settings: tokens.DialectSettings{Default: gatehouse.TokenOverrides{Lifetime: &lengowLife}}},
		Lemonway: Dialect{Enabled: true, Path: LemonwayPath,
			Settings: tokens.DialectSettings{Default: gatehouse.TokenOverrides{Lifetime: &lemonwayLife, Reuse: &reuse}}},
	}
}
