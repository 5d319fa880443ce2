package adminapi

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"testing"
)

// multipartImport builds a multipart import body from its parts.
func multipartImport(t *testing.T, parts ...[2]string) (*bytes.Buffer, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		w, err := mw.CreateFormFile(p[0], p[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(p[1]))
	}
	mw.Close()
	return &body, mw.FormDataContentType()
}

func TestImportTakesAHydraListWithItsSecretsAsMultipart(t *testing.T) {
	f := newFixture(t)
	const secret = "Hq2Wm7Zc4Tb9Kx1Nv6Lr3Ys8Pd5Gf0Ja"
	list := `{"items":[{"client_id":"feed","grant_types":["client_credentials"],"scope":"feed:read","owner":"Feeds"}]}`
	post := func(query string, parts ...[2]string) (int, string) {
		body, ct := multipartImport(t, parts...)
		req := newRequest(t, http.MethodPost, "/admin/v1/import"+query, body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+writeToken)
		rec := serve(f, req)
		return rec.Code, rec.Body.String()
	}
	code, body := post("?env=sandbox&apply=true", [2]string{"file", list}, [2]string{"secrets", "client_id,secret\nfeed," + secret + "\n"})
	if code != 200 || !contains(body, `"applied":true`, `"path":"items[0]"`, `"action":"create"`) || contains(body, secret) {
		t.Fatalf("%d %s", code, body)
	}
	if c, err := f.store.Client(t.Context(), "feed"); err != nil || !c.VerifySecret(secret, startTime) {
		t.Fatalf("feed = %+v, %v", c, err)
	}
	for name, tc := range map[string]struct {
		query string
		parts [][2]string
		want  string
	}{
		"an unknown format":    {"?format=ldif", [][2]string{{"file", list}}, "format must be one of"},
		"an unknown part":      {"?env=sandbox", [][2]string{{"file", list}, {"passwords", "x"}}, `unknown part \"passwords\"`},
		"no file part":         {"?env=sandbox", [][2]string{{"secrets", "client_id,secret\n"}}, `needs the part \"file\"`},
		"a part twice":         {"?env=sandbox", [][2]string{{"file", list}, {"file", list}}, "appears twice"},
		"secrets with CSV":     {"", [][2]string{{"file", "client_id,secret\na,b\n"}, {"secrets", "client_id,secret\n"}}, "Hydra client list only"},
		"a Hydra list no env":  {"", [][2]string{{"file", list}}, "names no environment"},
		"a secrets bad header": {"?env=sandbox", [][2]string{{"file", list}, {"secrets", "id,password\n"}}, "unknown column"},
	} {
		t.Run(name, func(t *testing.T) {
			code, body := post(tc.query, tc.parts...)
			if code != 400 || !contains(body, `"code":"invalid"`, tc.want) {
				t.Fatalf("%d %s; want 400 naming %q", code, body, tc.want)
			}
		})
	}
}
