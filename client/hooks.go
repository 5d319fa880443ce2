package client

import "time"

// Fetch describes one token request to a hook. It never holds the secret,
// the API key, the assertion or the token.
type Fetch struct {
	// Dialect and TokenURL say where the request goes.
	Dialect  Dialect
	TokenURL string
	// Background is true for a refresh ahead of expiry, which no caller
	// waits for, and false when callers wait (no valid token).
	Background bool
	// Attempt is 1 for the first request after a success (or ever), 2 after
	// one failure, and so on.
	Attempt int
}

// Hooks are called around token requests with no lock held, so they may
// log or update metrics; they must not block for long. FetchStart is called
// by the caller whose call starts the request, before Token returns to it;
// the others by the goroutine that sent the request. Any field may be nil.
type Hooks struct {
	// FetchStart is called before a token request is sent.
	FetchStart func(f Fetch)
	// FetchSuccess is called after a token arrived, with the request's
	// duration and the token's lifetime.
	FetchSuccess func(f Fetch, took, lifetime time.Duration)
	// FetchFailure is called after a token request failed. err is a
	// *RetrieveError when the server answered, else a network or decoding
	// error.
	FetchFailure func(f Fetch, took time.Duration, err error)
	// Backoff is called after a failure with the wait before the next token
	// request (the exponential backoff, or the server's Retry-After when
	// longer).
	Backoff func(f Fetch, wait time.Duration)
}
