package bench

import (
	"fmt"
	"math/rand/v2"
)

// Clients filled by `gatehouse bench fill` for load tests have predictable
// ids and secrets, so that a load generator can authenticate as any of a
// million clients without a list of them. They are a test tool: never fill a
// database that serves real clients.

// FillClientID returns the id of filled client i: "fill" and 16 digits.
func FillClientID(i int) string { return fmt.Sprintf("fill%016d", i) }

// FillClientSecret returns the secret of filled client i.
func FillClientSecret(i int) string { return "fill-secret-" + FillClientID(i) }

// credentials picks the credentials of one request.
type credentials interface {
	next(r *rand.Rand) (id, secret string)
}

// oneClient always uses the configured client.
type oneClient struct{ id, secret string }

func (c oneClient) next(*rand.Rand) (string, string) { return c.id, c.secret }

// filledClients picks one of the first n filled clients uniformly at
// random per request.
type filledClients struct{ n int }

func (c filledClients) next(r *rand.Rand) (string, string) {
	i := r.IntN(c.n)
	return FillClientID(i), FillClientSecret(i)
}

// unknownClients names a random id that no store holds (a flood of
// guesses): 20 random characters, the length of a real client id.
type unknownClients struct{}

func (unknownClients) next(r *rand.Rand) (string, string) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [20]byte
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b[:]), "wrong-secret"
}
