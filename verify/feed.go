package verify

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// feedEvent is the data of a revocation feed event (docs/revocation-feed.md).
type feedEvent struct {
	Environment string `json:"environment"`
	Tokens      []struct {
		ID        string `json:"jti"`
		ClientID  string `json:"client_id"`
		ExpiresAt int64  `json:"expires_at"`
	} `json:"tokens"`
	Clients []feedCredential `json:"clients"`
	Secrets []feedCredential `json:"secrets"`
	Keys    []struct {
		ID    string `json:"kid"`
		State string `json:"state"`
	} `json:"keys"`
}

type feedCredential struct {
	ID        string `json:"id"`
	ClientID  string `json:"client_id"`
	ExpiresAt int64  `json:"expires_at"`
}

// Feed timings: the server sends a comment every 15 s, so 45 s of silence
// means the connection is dead; reconnection backs off from 100 ms to 10 s.
const (
	feedIdleTimeout = 45 * time.Second
	minBackoff      = 100 * time.Millisecond
	maxBackoff      = 10 * time.Second
	maxEventSize    = 64 << 20
)

// follow reads the revocation feed until ctx ends, reconnecting with
// jittered exponential backoff and resuming from the last event id.
func (v *Verifier) follow(ctx context.Context) {
	defer close(v.done)
	backoff := minBackoff
	for ctx.Err() == nil {
		started := v.now()
		err := v.readFeed(ctx)
		v.metrics.feedConnected.Set(0)
		if ctx.Err() != nil {
			return
		}
		v.metrics.feedReconnects.Inc()
		v.logger.Warn("verify: revocation feed interrupted; reconnecting", "issuer", v.cfg.Issuer, "err", err)
		if v.now().Sub(started) > maxBackoff {
			backoff = minBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// errFeedRefused is a feed answer other than 200.
var errFeedRefused = errors.New("revocation feed refused the connection")

// readFeed holds one connection to the feed and applies its events.
func (v *Verifier) readFeed(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.meta.RevocationFeed, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(url.QueryEscape(v.cfg.ClientID), url.QueryEscape(v.cfg.ClientSecret))
	req.Header.Set("Accept", "text/event-stream")
	if v.lastID != "" {
		req.Header.Set("Last-Event-ID", v.lastID)
	}
	resp, err := v.stream.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s", errFeedRefused, resp.Status)
	}
	v.metrics.feedConnected.Set(1)
	defer v.lostFeed()
	idle := time.AfterFunc(feedIdleTimeout, cancel)
	defer idle.Stop()
	r := bufio.NewReaderSize(io.LimitReader(resp.Body, 1<<62), 64<<10)
	var kind, id string
	var data strings.Builder
	for {
		line, err := readLine(r)
		if err != nil {
			return err
		}
		idle.Reset(feedIdleTimeout)
		v.sawFeed()
		switch {
		case line == "":
			if data.Len() > 0 {
				if err := v.applyEvent(kind, data.String()); err != nil {
					return err
				}
				if id != "" {
					v.lastID = id
				}
			}
			kind, id = "", ""
			data.Reset()
		case strings.HasPrefix(line, ":"): // heartbeat
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				kind = value
			case "id":
				id = value
			case "data":
				if data.Len()+len(value) > maxEventSize {
					return errors.New("revocation feed event too large")
				}
				if data.Len() > 0 {
					data.WriteByte('\n')
				}
				data.WriteString(value)
			}
		}
	}
}

// readLine reads one line of the stream without its line ending.
func readLine(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, err := r.ReadSlice('\n')
		if b.Len()+len(chunk) > maxEventSize {
			return "", errors.New("revocation feed line too large")
		}
		b.Write(chunk)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return "", err
		}
		return strings.TrimRight(b.String(), "\r\n"), nil
	}
}

// applyEvent applies a snapshot or a delta.
func (v *Verifier) applyEvent(kind, data string) error {
	if kind != "snapshot" && kind != "revocations" {
		return nil // unknown event types are for newer followers
	}
	var ev feedEvent
	if err := json.Unmarshal([]byte(data), &ev); err != nil {
		return fmt.Errorf("revocation feed event: %w", err)
	}
	v.revoked.Store(v.revoked.Load().merged(&ev, v.now()))
	v.intro.dropRevoked(v.revoked.Load(), v.now())
	v.applyKeys(kind == "snapshot", &ev)
	v.metrics.feedEvents.Inc()
	v.fedOnce.Do(func() { close(v.firstFed) })
	v.sawFeed()
	return nil
}

// applyKeys drops keys that left the JWKS and fetches the JWKS when the
// feed names a published key the verifier does not know yet (the feed is
// authenticated, so this fetch is not subject to the refetch floor).
func (v *Verifier) applyKeys(snapshot bool, ev *feedEvent) {
	gone := map[string]bool{}
	published := map[string]bool{}
	unknown := false
	for _, k := range ev.Keys {
		switch k.State {
		case "next", "active", "retired":
			published[k.ID] = true
			unknown = unknown || !v.keys.known(k.ID)
		default:
			gone[k.ID] = true
		}
	}
	if snapshot && len(published) > 0 {
		for kid := range v.keys.set.Load().byKid {
			if !published[kid] {
				gone[kid] = true
			}
		}
	}
	if len(gone) > 0 {
		v.keys.drop(gone)
	}
	if unknown {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := v.keys.fetch(ctx); err != nil {
				v.logger.Warn("verify: fetch JWKS for a new key", "err", err)
			}
		}()
	}
}

// sawFeed records that the feed is live: connected, with a snapshot
// applied on this or an earlier connection (a resumed stream continues it).
func (v *Verifier) sawFeed() {
	if v.revokedLoaded() && !v.feedLive.Load() {
		v.feedLive.Store(true)
	}
}

// lostFeed records that the connection ended: staleness counts from now.
func (v *Verifier) lostFeed() {
	if v.feedLive.Swap(false) {
		v.feedLost.Store(v.now().UnixNano())
	}
}

// stale reports whether the feed has been lost for longer than
// MaxStaleness (or never delivered a snapshot).
func (v *Verifier) stale(now time.Time) bool {
	if v.feedLive.Load() {
		return false
	}
	lost := v.feedLost.Load()
	return lost == 0 || now.Sub(time.Unix(0, lost)) > v.cfg.MaxStaleness
}

// revokedLoaded reports whether a snapshot has arrived: heartbeats before
// it do not make the verifier fresh.
func (v *Verifier) revokedLoaded() bool {
	select {
	case <-v.firstFed:
		return true
	default:
		return false
	}
}
