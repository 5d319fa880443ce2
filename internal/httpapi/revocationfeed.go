package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/revfeed"
	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// revocationFeedPath is the feed's path under an environment's issuer.
const revocationFeedPath = "/revocation-feed"

// RevocationFeed configures the revocation feed endpoint.
type RevocationFeed struct {
	Hub *revfeed.Hub
	// Heartbeat is how often an idle stream gets a comment line, so that
	// followers can tell a quiet feed from a dead one (15 s if 0).
	Heartbeat time.Duration
}

// revocationFeed streams an environment's revocations as Server-Sent
// Events (docs/revocation-feed.md) to an authenticated client of the
// environment. A Last-Event-ID header resumes after that event.
func (s *server) revocationFeed(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, http.MethodGet)
		return
	}
	env := r.PathValue("env")
	if _, oerr := s.issuer.Environment(env); oerr != nil {
		writeOAuthError(w, oerr, "")
		return
	}
	q := r.URL.Query()
	if q.Has("client_secret") || q.Has("client_assertion") {
		writeOAuthError(w, tokens.NewError(tokens.ErrInvalidRequest, "credentials in the query string are not accepted"), "")
		return
	}
	creds, basic, oerr := clientCredentials(r, url.Values{})
	realm := ""
	if basic {
		realm = env
	}
	if oerr == nil {
		_, _, oerr = s.issuer.Authenticate(env, creds, remoteIP(r))
	}
	if oerr != nil {
		writeOAuthError(w, oerr, realm)
		return
	}
	cursor, resume, err := lastEventID(r)
	if err != nil {
		writeOAuthError(w, tokens.NewError(tokens.ErrInvalidRequest, "Last-Event-ID must be an event id of this feed"), realm)
		return
	}
	s.streamRevocations(w, r, env, cursor, resume)
}

// lastEventID reads the position a follower resumes from.
func lastEventID(r *http.Request) (cursor int64, resume bool, err error) {
	v := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if v == "" {
		return 0, false, nil
	}
	cursor, err = strconv.ParseInt(v, 10, 64)
	if err != nil || cursor < 0 {
		return 0, false, fmt.Errorf("bad Last-Event-ID")
	}
	return cursor, true, nil
}

// streamRevocations writes a snapshot (or the events after cursor) and then
// every later event until the client goes away or the server stops.
func (s *server) streamRevocations(w http.ResponseWriter, r *http.Request, env string, cursor int64, resume bool) {
	hub := s.feed.Hub
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 1000\n\n")
	heartbeat := s.feed.Heartbeat
	if heartbeat <= 0 {
		heartbeat = 15 * time.Second
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	needSnapshot := !resume
	for {
		var wait <-chan struct{}
		var events []revfeed.Event
		ok := false
		if !needSnapshot {
			events, wait, ok = hub.Since(env, cursor)
		}
		if !ok {
			var snap revfeed.Event
			snap, wait, ok = hub.Snapshot(env)
			if !ok {
				return // the environment is gone
			}
			events, needSnapshot = []revfeed.Event{snap}, false
		}
		for i := range events {
			if err := writeEvent(w, &events[i]); err != nil {
				return
			}
			cursor = events[i].ID
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-hub.Done():
			return
		case <-wait:
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
		}
	}
}

// writeEvent writes one Server-Sent Event: its type, id and JSON data.
func writeEvent(w http.ResponseWriter, ev *revfeed.Event) error {
	out := *ev
	for _, s := range []*[]revfeed.Credential{&out.Clients, &out.Secrets} {
		if *s == nil {
			*s = []revfeed.Credential{}
		}
	}
	if out.Tokens == nil {
		out.Tokens = []revfeed.Token{}
	}
	if out.Keys == nil {
		out.Keys = []revfeed.Key{}
	}
	data, err := json.Marshal(out)
	if err != nil {
		return err
	}
	kind := "revocations"
	if ev.Snapshot {
		kind = "snapshot"
	}
	_, err = fmt.Fprintf(w, "event: %s\nid: %d\ndata: %s\n\n", kind, ev.ID, data)
	return err
}
