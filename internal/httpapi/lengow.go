package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-dev/gatehouse/internal/tokens"
)

// The Lengow-style dialect: POST {path} with access_token=<client_id> and
// secret=<client secret> as a form, a multipart form or a JSON object;
// answers {"token","account_id","user_id":null}. The token is then sent as
// "Authorization: <token>" with no scheme word.

type lengowTokenResponse struct {
	Token     string `json:"token"`
	AccountID int64  `json:"account_id"`
	UserID    *int64 `json:"user_id"`
}

// lengowErrorBody is the dialect's error shape:
// {"error":{"code":<HTTP status>,"message":"…"}}.
type lengowErrorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func lengowBody(e *tokens.Error) any {
	var b lengowErrorBody
	b.Error.Code, b.Error.Message = e.Status, e.Description
	return b
}

func (s *server) lengow(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowedAs(w, http.MethodPost, lengowBody, jsonType)
		return
	}
	id, secret, oerr := parseLengowRequest(r)
	if oerr != nil {
		writeError(w, s.bannedFirst(r, "", "lengow", oerr), "", lengowBody, jsonType)
		return
	}
	tok, oerr := s.issuer.Issue(r.Context(), &tokens.Request{
		GrantType:   tokens.GrantClientCredentials,
		Credentials: tokens.Credentials{Method: tokens.AuthClientSecretPost, ClientID: id, Secret: secret},
		RemoteIP:    remoteIP(r),
		Dialect:     "lengow",
		Settings:    &s.dialects.Lengow.Settings,
	})
	if oerr != nil {
		writeError(w, oerr, "", lengowBody, jsonType)
		return
	}
	writeJSON(w, http.StatusOK, lengowTokenResponse{Token: tok.AccessToken, AccountID: tok.Client.AccountID})
}

// parseLengowRequest reads access_token and secret from a form, a multipart
// form or a JSON object.
func parseLengowRequest(r *http.Request) (id, secret string, oerr *tokens.Error) {
	if q := r.URL.Query(); q.Has("secret") || q.Has("access_token") {
		return "", "", tokens.NewError(tokens.ErrInvalidRequest, "credentials must not be sent in the query string")
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return "", "", tokens.NewError(tokens.ErrInvalidRequest, "send access_token and secret as a form or a JSON object")
	}
	body := io.LimitReader(r.Body, maxFormBytes+1)
	var values url.Values
	switch mt {
	case "application/json":
		b, err := io.ReadAll(body)
		if err != nil || len(b) > maxFormBytes {
			return "", "", tokens.NewError(tokens.ErrInvalidRequest, "the body could not be read")
		}
		if values, oerr = decodeLengowJSON(b); oerr != nil {
			return "", "", oerr
		}
	case "application/x-www-form-urlencoded":
		b, err := io.ReadAll(body)
		if err != nil || len(b) > maxFormBytes {
			return "", "", tokens.NewError(tokens.ErrInvalidRequest, "the body could not be read")
		}
		if values, oerr = decodeForm(string(b)); oerr != nil {
			return "", "", oerr
		}
	case "multipart/form-data":
		form, err := multipartValues(body, params["boundary"])
		if err != nil {
			return "", "", tokens.NewError(tokens.ErrInvalidRequest, "malformed multipart body")
		}
		values = form
	default:
		return "", "", tokens.NewError(tokens.ErrInvalidRequest, "send access_token and secret as a form or a JSON object")
	}
	for k, v := range values {
		if len(v) > 1 {
			return "", "", tokens.NewError(tokens.ErrInvalidRequest, "parameter %q is repeated", k)
		}
	}
	id, secret = values.Get("access_token"), values.Get("secret")
	if id == "" || secret == "" {
		return "", "", tokens.NewError(tokens.ErrInvalidRequest, "access_token and secret are required")
	}
	return id, secret, nil
}

// decodeLengowJSON reads access_token and secret from a JSON object. A
// member named twice (in any letter case, as encoding/json would match it)
// is refused like a repeated form field: which of the two a parser takes
// differs from parser to parser, so a proxy and Gatehouse could disagree
// on the credential. Other members are ignored; null is an absent value.
func decodeLengowJSON(b []byte) (url.Values, *tokens.Error) {
	malformed := tokens.NewError(tokens.ErrInvalidRequest, "malformed JSON body")
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, malformed
	}
	values := url.Values{}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, malformed
		}
		key := strings.ToLower(t.(string)) // an object key is always a string
		if seen[key] {
			return nil, tokens.NewError(tokens.ErrInvalidRequest, "parameter %q is repeated", key)
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformed
		}
		if key != "access_token" && key != "secret" {
			continue
		}
		var v *string
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, malformed
		}
		if v != nil {
			values.Set(key, *v)
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, malformed
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed // something after the object
	}
	return values, nil
}
