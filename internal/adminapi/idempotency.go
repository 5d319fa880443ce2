package adminapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// Idempotency-Key handling. A POST sent with the header is answered once:
// the key is reserved (pending) before the handler runs, the answer is
// stored (status, Location, body sealed under the master key: it may hold a
// client secret) before it is sent, and a retry with the same key and the
// same request gets the stored answer without anything being done again.
// Keys are scoped to the authenticated caller and kept IdempotencyTTL.
const (
	// IdempotencyTTL is how long an idempotency key and its answer are kept.
	IdempotencyTTL = 24 * time.Hour
	// codeKeyReused: the key was used for another request (422).
	codeKeyReused = "idempotency_key_reused"
	// codeKeyInProgress: a request with the key is still running, or ended
	// without an answer being stored (409).
	codeKeyInProgress = "idempotency_key_in_progress"
	// maxIdempotencyKey bounds the header's length.
	maxIdempotencyKey = 255
	// idempotencyPurpose is the master key purpose of stored answers.
	idempotencyPurpose = "idempotent-answer"
)

// idempotentRoute reports whether a route honours Idempotency-Key: every
// POST but an import or an apply (whose file may exceed the request size
// kept for the comparison; applying a file again changes nothing anyway)
// and a reveal (which changes nothing, and whose every showing
// of a secret must be audited and pass the password lockout).
func idempotentRoute(rt route) bool {
	return rt.method == http.MethodPost && rt.path != "/admin/v1/import" && rt.path != "/admin/v1/apply" && !strings.HasSuffix(rt.path, "/reveal")
}

// idempotent runs handle for an Idempotency-Key request of p, or replays the
// stored answer of its key. It writes the answer itself.
func (h *Handler) idempotent(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, key string, handle func(w http.ResponseWriter) error) error {
	if len(key) > maxIdempotencyKey || !printableASCII(key) {
		return gatehouse.Errorf(gatehouse.EINVALID, "the Idempotency-Key header must be 1 to %d printable ASCII characters", maxIdempotencyKey)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return gatehouse.Errorf(gatehouse.EINVALID, "the request body is larger than %d bytes", maxBodyBytes)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256([]byte(r.Method + "\n" + r.URL.Path + "\n" + string(body)))
	rec := &gatehouse.IdempotencyRecord{Scope: p.Actor(), Key: key, RequestHash: sum[:], CreatedAt: h.now()}
	held, err := h.idem.ReserveIdempotencyKey(r.Context(), rec)
	if err != nil {
		return err
	}
	if held != nil {
		return h.replay(w, rec, held)
	}
	buf := &bufferedResponse{header: http.Header{}}
	herr := handle(buf)
	if herr != nil {
		h.writeError(buf, r, herr)
	}
	if buf.status == 0 {
		buf.status = http.StatusOK
	}
	if buf.status >= 500 {
		// Nothing was committed (a change and its audit record commit
		// together or not at all): the key may be used again.
		if err := h.idem.ReleaseIdempotencyKey(r.Context(), rec.Scope, key); err != nil {
			h.logger.WarnContext(r.Context(), "admin API: release idempotency key", "err", err)
		}
	} else if err := h.storeAnswer(r, rec, buf); err != nil {
		h.logger.ErrorContext(r.Context(), "admin API: store idempotent answer; a retry with the key gets 409", "err", err)
	}
	buf.copyTo(w)
	return errAnswered{err: herr}
}

// storeAnswer seals and stores the answer of rec's request.
func (h *Handler) storeAnswer(r *http.Request, rec *gatehouse.IdempotencyRecord, buf *bufferedResponse) error {
	sealed, err := h.masterKey.Seal(h.rand, idempotencyPurpose, buf.body.Bytes(), []byte(rec.Scope+"\n"+rec.Key))
	if err != nil {
		return err
	}
	rec.Status, rec.Location, rec.Body = buf.status, buf.header.Get("Location"), sealed
	return h.idem.CompleteIdempotencyKey(r.Context(), rec)
}

// replay answers a request whose key is held: the stored answer for the
// same request, a refusal otherwise.
func (h *Handler) replay(w http.ResponseWriter, rec, held *gatehouse.IdempotencyRecord) error {
	if subtle.ConstantTimeCompare(rec.RequestHash, held.RequestHash) != 1 {
		return gatehouse.Errorf(codeKeyReused, "this Idempotency-Key was used for another request (method, path or body); use a fresh key for each request")
	}
	if held.Status == 0 || h.now().Sub(held.CreatedAt) > IdempotencyTTL {
		return gatehouse.Errorf(codeKeyInProgress, "a request with this Idempotency-Key is still being processed, or ended without an answer; retry later or use a fresh key")
	}
	body, err := h.masterKey.Open(idempotencyPurpose, held.Body, []byte(held.Scope+"\n"+held.Key))
	if err != nil {
		return errors.New("open the stored idempotent answer: " + err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Idempotent-Replayed", "true")
	if held.Location != "" {
		w.Header().Set("Location", held.Location)
	}
	w.WriteHeader(held.Status)
	_, _ = w.Write(body)
	return errAnswered{replayed: true}
}

// errAnswered tells the endpoint wrapper that the answer is written: err is
// the handler's error, for the audit; replayed is whether the answer was a
// stored one (nothing was done, so nothing is audited).
type errAnswered struct {
	err      error
	replayed bool
}

func (e errAnswered) Error() string { return "answered" }

// bufferedResponse holds an answer until it is stored.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}
func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(b.body.Len()))
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}
