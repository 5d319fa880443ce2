package verify_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/gatehouse-dev/gatehouse/verify"
)

// Example protects an API with the middleware. The issuer here is a small
// stand-in for a Gatehouse environment (discovery and JWKS).
func Example() {
	issuer, token, stop := verify.StandInIssuer()
	defer stop()

	v, err := verify.New(context.Background(), verify.Config{
		Issuer:   issuer,
		Audience: "https://api.example.com",
		// In production also: ClientID, ClientSecret, FollowRevocations: true.
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	api := v.Middleware("ledger:read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := verify.ClaimsFrom(r.Context())
		fmt.Fprintf(w, "hello %s of account %d", c.ClientID, c.AccountID)
	}))
	srv := httptest.NewServer(api)
	defer srv.Close()

	for _, auth := range []string{"Bearer " + token, ""} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/ledger/balance", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(body))
	}
	// Output:
	// 200  hello client-1 of account 42
	// 401 Bearer realm="api"
}

// ExampleVerifier_Verify checks a token outside of net/http, e.g. in a
// gRPC interceptor or a message consumer.
func ExampleVerifier_Verify() {
	issuer, token, stop := verify.StandInIssuer()
	defer stop()
	v, err := verify.New(context.Background(), verify.Config{Issuer: issuer, Audience: "https://api.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	c, err := v.Verify(context.Background(), token)
	fmt.Println(c.ClientID, c.Scopes(), err)
	_, err = v.Verify(context.Background(), token+"x")
	fmt.Println(err)
	// Output:
	// client-1 [ledger:read ledger:write] <nil>
	// verify: invalid_token: the signature does not verify
}
