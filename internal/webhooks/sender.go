package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// AttemptTimeout bounds one delivery attempt: connect, send, response headers
// and the (discarded, at most 64 KiB) response body (issue 12: 10 s).
const AttemptTimeout = 10 * time.Second

// Envelope is the body of every webhook request: {id, type, created_at, data}.
// id is the outbox event id (the same on every retry: receivers de-duplicate
// by it), data the event's object as written to the outbox.
type Envelope struct {
	ID        uuid.UUID       `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Result is what one attempt gave: the response status (0 when none came),
// an error text (empty on success) and how long it took.
type Result struct {
	StatusCode int
	Err        string
	Duration   time.Duration
}

// OK reports a 2xx response.
func (r Result) OK() bool { return r.Err == "" && r.StatusCode >= 200 && r.StatusCode < 300 }

// Sender posts signed envelopes. Its client never follows redirects (a 3xx
// is a failed attempt), uses no proxy from the environment (a proxy would
// connect for us, past the guard), and dials through Guard.Control.
type Sender struct {
	client *http.Client
}

// NewSender builds a Sender whose every connection passes g's checks.
func NewSender(g Guard) *Sender {
	d := &net.Dialer{Timeout: AttemptTimeout, Control: g.Control}
	dial := d.DialContext
	if g.Lookup != nil { // tests: resolve with the given lookup, then dial (and check) each address
		dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			ips, err := g.lookup(ctx, host)
			if err != nil {
				return nil, err
			}
			var errAll error
			for _, ip := range ips {
				c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
				if err == nil {
					return c, nil
				}
				errAll = errors.Join(errAll, err)
			}
			return nil, errAll
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dial,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   AttemptTimeout,
		ResponseHeaderTimeout: AttemptTimeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Sender{client: &http.Client{Transport: tr, Timeout: AttemptTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Send makes one attempt: POST body to url with the signature for sentAt and
// the event headers. It never returns an error: a failure is in Result.
func (s *Sender) Send(ctx context.Context, target, secret string, env Envelope, body []byte, sentAt time.Time, attempt int) Result {
	ctx, cancel := context.WithTimeout(ctx, AttemptTimeout)
	defer cancel()
	started := time.Now() // the attempt's wall duration for the delivery log, not domain time
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Result{Err: "bad url: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "FieldOps-Webhooks/1")
	req.Header.Set("X-FieldOps-Signature", Sign(secret, sentAt, body))
	req.Header.Set("X-FieldOps-Event-Id", env.ID.String())
	req.Header.Set("X-FieldOps-Event-Type", env.Type)
	req.Header.Set("X-FieldOps-Delivery-Attempt", strconv.Itoa(attempt))
	res, err := s.client.Do(req)
	if err != nil {
		return Result{Err: describe(err), Duration: time.Since(started)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	_ = res.Body.Close()
	r := Result{StatusCode: res.StatusCode, Duration: time.Since(started)}
	if !r.OK() {
		r.Err = fmt.Sprintf("receiver answered %d", res.StatusCode)
	}
	return r
}

// describe turns a transport error into a short text for the delivery log.
func describe(err error) string {
	switch {
	case errors.Is(err, ErrBlockedAddress):
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			return "refused before connecting: " + op.Err.Error()
		}
		return "refused before connecting: " + ErrBlockedAddress.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out after " + AttemptTimeout.String()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out after " + AttemptTimeout.String()
	}
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	return msg
}
