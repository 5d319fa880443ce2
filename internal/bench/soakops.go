package bench

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// soakClient is a client the soak created for itself.
type soakClient struct {
	ID        string `json:"client_id"`
	Secret    string `json:"client_secret"`
	APIKey    string `json:"api_key"`
	AccountID int64  `json:"account_id"`
}

// issued is a token the soak was issued, with the client it was issued to.
type issued struct {
	token  string
	client int
}

// soakOps sends the requests of each kind.
type soakOps struct {
	http    *http.Client
	targets []string
	env     string
	admin   string // the admin API key
	clients []soakClient
	run     string // a random tag in the names of what the soak creates

	next       atomic.Uint64 // round robin over targets and clients
	mismatched atomic.Int64

	mu        sync.Mutex
	reused    []string // per client, the token the reuse endpoint answered first
	tokens    []issued // a ring of recent tokens, for introspection and revocation
	tokenNext int
	rng       *rand.Rand
	created   []string // admin clients created, to be rotated
	rotated   []string // admin clients rotated, to be revoked
	adminStep int
	adminN    int
}

// tokenRing is how many recent tokens introspection and revocation pick from.
const tokenRing = 4096

// setUpSoak creates the soak's clients through the admin API of the first
// target and takes a first token and a first reusable token for each, so
// that every kind of request has what it needs from the start.
func setUpSoak(ctx context.Context, hc *http.Client, cfg SoakConfig) (*soakOps, error) {
	tag := make([]byte, 4)
	crand.Read(tag)
	o := &soakOps{
		http: hc, targets: cfg.Targets, env: cfg.Env, admin: cfg.AdminKey, run: hex.EncodeToString(tag),
		reused: make([]string, cfg.Clients), rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	var account int64
	for i := range cfg.Clients {
		body := map[string]any{"environment": cfg.Env, "name": fmt.Sprintf("soak-%s-%d", o.run, i)}
		if account != 0 {
			body["account_id"] = account // one account for all of them
		}
		var c soakClient
		if status, err := o.adminCall(ctx, cfg.Targets[0], "/admin/v1/clients", body, &c); err != nil {
			return nil, fmt.Errorf("create the soak's clients: %w", err)
		} else if status != http.StatusCreated || c.ID == "" || c.Secret == "" {
			return nil, fmt.Errorf("create the soak's clients: HTTP %d", status)
		}
		account = c.AccountID
		o.clients = append(o.clients, c)
	}
	for i := range o.clients {
		for _, kind := range []string{KindIssue, KindReuse} {
			// A client created through one replica reaches the others
			// within a poll of the change feed; wait for it on each.
			for _, target := range cfg.Targets {
				if err := o.eventually(ctx, func() (string, error) { return o.sendAs(ctx, kind, target, i) }); err != nil {
					return nil, fmt.Errorf("first %s request of the soak's client %s at %s: %w", kind, o.clients[i].ID, target, err)
				}
			}
		}
	}
	return o, nil
}

// eventually retries f for a few seconds until it answers 2xx.
func (o *soakOps) eventually(ctx context.Context, f func() (string, error)) error {
	var class string
	var err error
	for range 50 {
		if class, err = f(); class == Class2xx {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("answered %s", class)
}

// send sends one request of kind to the next target and returns the class
// of the answer ("" if ctx ended first).
func (o *soakOps) send(ctx context.Context, kind string) string {
	n := o.next.Add(1)
	class, _ := o.sendAs(ctx, kind, o.targets[n%uint64(len(o.targets))], int(n/uint64(len(o.targets))%uint64(len(o.clients))))
	if ctx.Err() != nil && class == ClassTransport {
		return ""
	}
	return class
}

// sendAs sends one request of kind to target as client i (where the kind
// has a client).
func (o *soakOps) sendAs(ctx context.Context, kind, target string, i int) (string, error) {
	c := o.clients[i]
	base := strings.TrimSuffix(target, "/") + "/realms/" + url.PathEscape(o.env) + "/protocol/openid-connect/"
	switch kind {
	case KindIssue:
		var out struct {
			AccessToken string `json:"access_token"`
		}
		class, err := o.form(ctx, base+"token", basicAuth(c), url.Values{"grant_type": {"client_credentials"}}, &out)
		if class == Class2xx && out.AccessToken != "" {
			o.keep(issued{out.AccessToken, i})
		}
		return class, err
	case KindReuse:
		var out struct {
			AccessToken string `json:"access_token"`
		}
		class, err := o.form(ctx, strings.TrimSuffix(target, "/")+"/oauth/api/v1/oauth/token", "basic "+c.APIKey,
			url.Values{"Grant_type": {"client_credentials"}}, &out)
		if class == Class2xx {
			o.checkReuse(i, out.AccessToken)
		}
		return class, err
	case KindIntrospect:
		t, ok := o.pick(false)
		if !ok {
			return o.sendAs(ctx, KindIssue, target, i)
		}
		return o.form(ctx, base+"token/introspect", basicAuth(c), url.Values{"token": {t.token}}, nil)
	case KindRevoke:
		t, ok := o.pick(true)
		if !ok {
			return o.sendAs(ctx, KindIssue, target, i)
		}
		return o.form(ctx, base+"revoke", basicAuth(o.clients[t.client]),
			url.Values{"token": {t.token}, "token_type_hint": {"access_token"}}, nil)
	case KindAdmin:
		return o.adminWrite(ctx, target)
	}
	return "", fmt.Errorf("unknown kind %q", kind)
}

// keep puts a token in the ring.
func (o *soakOps) keep(t issued) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.tokens) < tokenRing {
		o.tokens = append(o.tokens, t)
		return
	}
	o.tokens[o.tokenNext] = t
	o.tokenNext = (o.tokenNext + 1) % tokenRing
}

// pick returns a random token of the ring; take removes it (a token is
// revoked once).
func (o *soakOps) pick(take bool) (issued, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.tokens) == 0 {
		return issued{}, false
	}
	k := o.rng.IntN(len(o.tokens))
	t := o.tokens[k]
	if take {
		last := len(o.tokens) - 1
		o.tokens[k] = o.tokens[last]
		o.tokens = o.tokens[:last]
		o.tokenNext = 0
	}
	return t, true
}

// checkReuse counts a reuse answer that is not the client's first one.
func (o *soakOps) checkReuse(i int, token string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch o.reused[i] {
	case "":
		o.reused[i] = token
	case token:
	default:
		o.mismatched.Add(1)
	}
}

// adminWrite takes one step of a client's life through the admin API:
// create a client, rotate its secret (the old one dies at once), revoke it,
// in turn; a step with no client to act on creates one.
func (o *soakOps) adminWrite(ctx context.Context, target string) (string, error) {
	o.mu.Lock()
	step := o.adminStep % 3
	o.adminStep++
	var id string
	switch {
	case step == 2 && len(o.rotated) > 0:
		id, o.rotated = o.rotated[0], o.rotated[1:]
	case step >= 1 && len(o.created) > 0:
		step, id, o.created = 1, o.created[0], o.created[1:]
	default:
		step = 0
		o.adminN++
	}
	n := o.adminN
	o.mu.Unlock()

	switch step {
	case 0:
		var c soakClient
		class, err := o.adminClass(o.adminCall(ctx, target, "/admin/v1/clients", map[string]any{
			"environment": o.env, "name": fmt.Sprintf("soak-%s-admin-%d", o.run, n), "account_id": o.clients[0].AccountID,
		}, &c))
		if class == Class2xx && c.ID != "" {
			o.mu.Lock()
			o.created = append(o.created, c.ID)
			o.mu.Unlock()
		}
		return class, err
	case 1:
		class, err := o.adminClass(o.adminCall(ctx, target, "/admin/v1/clients/"+url.PathEscape(id)+"/rotate",
			map[string]any{"grace_seconds": 0}, nil))
		if class == Class2xx {
			o.mu.Lock()
			o.rotated = append(o.rotated, id)
			o.mu.Unlock()
		}
		return class, err
	default:
		return o.adminClass(o.adminCall(ctx, target, "/admin/v1/clients/"+url.PathEscape(id)+"/revoke", nil, nil))
	}
}

func (o *soakOps) adminClass(status int, err error) (string, error) {
	if status == 0 {
		return ClassTransport, err
	}
	return statusClass(status), err
}

// adminCall POSTs body as JSON to the admin API path on target and decodes
// a 2xx answer into out; status is 0 if there was no answer.
func (o *soakOps) adminCall(ctx context.Context, target, path string, body, out any) (status int, err error) {
	var r io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(target, "/")+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+o.admin)
	req.Header.Set("Content-Type", "application/json")
	return o.do(req, out)
}

// form POSTs a form with an Authorization header and decodes a 2xx answer
// into out.
func (o *soakOps) form(ctx context.Context, target, auth string, form url.Values, out any) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return ClassTransport, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", auth)
	status, err := o.do(req, out)
	if status == 0 {
		return ClassTransport, err
	}
	return statusClass(status), err
}

// do sends req, reads the whole answer and decodes a 2xx one into out (if
// not nil). The error says what went wrong, never with a credential.
func (o *soakOps) do(req *http.Request, out any) (int, error) {
	resp, err := o.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
		}
	}
	return resp.StatusCode, nil
}

func statusClass(status int) string {
	switch status / 100 {
	case 2:
		return Class2xx
	case 4:
		return Class4xx
	case 5:
		return Class5xx
	}
	return ClassOther
}

func basicAuth(c soakClient) string {
	req := http.Request{Header: http.Header{}}
	req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
	return req.Header.Get("Authorization")
}
