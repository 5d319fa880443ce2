package verify

import "time"

// exampleTB lets the examples use the test issuer.
type exampleTB struct{ cleanups []func() }

func (*exampleTB) Helper()            {}
func (*exampleTB) Fatal(args ...any)  { panic(args) }
func (e *exampleTB) Cleanup(f func()) { e.cleanups = append(e.cleanups, f) }

// StandInIssuer starts a stand-in issuer and returns its issuer URL, a
// valid token and a function that stops it.
func StandInIssuer() (issuer, token string, stop func()) {
	tb := &exampleTB{}
	ti := newTestIssuer(tb)
	token = ti.sign(tb, nil, ti.claims(time.Now().Unix()))
	return ti.issuerID, token, func() {
		for _, f := range tb.cleanups {
			f()
		}
	}
}
