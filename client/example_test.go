package client_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/client"
)

// exampleServer stands in for Gatehouse: the standard token endpoint of
// the sandbox environment and the two legacy ones, counting token requests.
func exampleServer() (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /realms/sandbox/protocol/openid-connect/token", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if id, _, ok := r.BasicAuth(); ok && id != "my-client" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"client authentication failed"}`)
			return
		}
		fmt.Fprint(w, `{"access_token":"eyJ.standard","token_type":"Bearer","expires_in":300}`)
	})
	mux.HandleFunc("POST /access/get_token", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		fmt.Fprint(w, `{"token":"eyJ.lengow","account_id":42,"user_id":null}`)
	})
	mux.HandleFunc("POST /oauth/api/v1/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		fmt.Fprint(w, `{"token_Type":"Bearer","access_token":"eyJ.lemonway","expires_in":7776000}`)
	})
	// An API that shows the Authorization header it received.
	mux.HandleFunc("GET /api/whoami", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Authorization: %s", r.Header.Get("Authorization"))
	})
	return httptest.NewServer(mux), &n
}

// A TokenSource shared by all callers sends one token request per token
// lifetime, however often it is asked.
func ExampleNew() {
	gatehouse, requests := exampleServer()
	defer gatehouse.Close()

	src, err := client.New(client.Config{
		TokenURL:     client.EnvironmentTokenURL(gatehouse.URL, "sandbox"),
		ClientID:     "my-client",
		ClientSecret: "my-secret",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 1000 {
		if _, err := src.Token(); err != nil {
			fmt.Println(err)
			return
		}
	}
	tok, _ := src.Token()
	fmt.Println(tok.AccessToken, tok.TokenType)
	fmt.Println("token requests:", requests.Load())
	// Output:
	// eyJ.standard Bearer
	// token requests: 1
}

// An *http.Client from NewHTTPClient adds the token to every API call, here
// in the Lengow form: the token alone, with no "Bearer".
func ExampleNewHTTPClient() {
	gatehouse, _ := exampleServer()
	defer gatehouse.Close()

	src, err := client.New(client.Config{
		Dialect:      client.Lengow,
		TokenURL:     client.LengowTokenURL(gatehouse.URL),
		ClientID:     "my-access-token",
		ClientSecret: "my-secret",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := client.NewHTTPClient(src).Get(gatehouse.URL + "/api/whoami")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	tok, _ := src.Token()
	fmt.Println("account:", tok.Extra("account_id"))
	// Output:
	// Authorization: eyJ.lengow
	// account: 42
}

// The Lemonway flow authenticates with the API key alone.
func ExampleConfig_lemonway() {
	gatehouse, _ := exampleServer()
	defer gatehouse.Close()

	src, err := client.New(client.Config{
		Dialect:  client.Lemonway,
		TokenURL: client.LemonwayTokenURL(gatehouse.URL),
		APIKey:   "gh_sbx_the-key-from-the-dashboard",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := src.Token()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.AccessToken, "valid for", time.Until(tok.Expiry).Round(time.Hour))
	// Output:
	// eyJ.lemonway valid for 2160h0m0s
}

// With private_key_jwt the client proves itself with a key it registered;
// Signer may be any crypto.Signer, such as a key held by a KMS.
func ExampleConfig_privateKeyJWT() {
	gatehouse, _ := exampleServer()
	defer gatehouse.Close()

	_, key, _ := ed25519.GenerateKey(rand.Reader) // its public key is registered with the client
	src, err := client.New(client.Config{
		TokenURL:         client.EnvironmentTokenURL(gatehouse.URL, "sandbox"),
		ClientID:         "my-client",
		AuthMethod:       client.PrivateKeyJWT,
		Signer:           key,
		SigningAlgorithm: "EdDSA",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := src.Token()
	fmt.Println(tok.AccessToken, err)
	// Output:
	// eyJ.standard <nil>
}

// A refused token request carries the OAuth error code.
func ExampleRetrieveError() {
	gatehouse, _ := exampleServer()
	defer gatehouse.Close()

	src, _ := client.New(client.Config{
		TokenURL:     client.EnvironmentTokenURL(gatehouse.URL, "sandbox"),
		ClientID:     "someone-else",
		ClientSecret: "wrong",
	})
	_, err := src.Token()
	var re *client.RetrieveError
	if errors.As(err, &re) {
		fmt.Println(re.StatusCode, re.ErrorCode)
	}
	// Output:
	// 401 invalid_client
}

// Hooks report token requests to metrics or logs; they never see a secret
// or a token.
func ExampleHooks() {
	gatehouse, _ := exampleServer()
	defer gatehouse.Close()

	events := make(chan string, 4)
	src, _ := client.New(client.Config{
		TokenURL:     client.EnvironmentTokenURL(gatehouse.URL, "sandbox"),
		ClientID:     "my-client",
		ClientSecret: "my-secret",
		Hooks: client.Hooks{
			FetchStart: func(f client.Fetch) {
				events <- fmt.Sprintf("token request: dialect=%s attempt=%d background=%v", f.Dialect, f.Attempt, f.Background)
			},
			FetchSuccess: func(_ client.Fetch, _, lifetime time.Duration) {
				events <- fmt.Sprintf("token received: lifetime=%s", lifetime)
			},
			FetchFailure: func(_ client.Fetch, _ time.Duration, err error) {
				events <- fmt.Sprintf("token request failed: %v", err)
			},
		},
	})
	src.Token()
	src.Token() // cached: no request, no hook
	fmt.Println(<-events)
	fmt.Println(<-events)
	// Output:
	// token request: dialect=standard attempt=1 background=false
	// token received: lifetime=5m0s
}
