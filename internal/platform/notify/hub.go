// Package notify is the per-process hub of live notifications: one dedicated
// PostgreSQL connection LISTENs on Channel, where the notifications trigger
// (migration 000020) publishes "<notification id> <user id>" as each
// writing transaction commits, and the hub hands each id to the Subscriptions
// of that user on this process (the Server-Sent Events streams of
// GET /v1/notifications/stream). Every replica runs one hub, so a
// notification written through any replica reaches streams on all of them.
//
// The hub carries ids only, never content: a subscriber reads the row itself,
// under its user's scope. Delivery is best effort and the database is the
// truth: when the connection is lost, the hub reconnects with back-off and
// then signals Gap to every subscriber, which catches up from the database; a
// subscriber whose buffer is full (a slow client) is dropped, never waited
// for, and its client resumes with Last-Event-ID.
//
// The connection is a pgx.Conn of its own, not one of GORM's pool: a LISTEN
// lives on its session, and a pooled connection goes back to other work.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

// Channel is the PostgreSQL NOTIFY channel of new notifications.
const Channel = "fieldops_notifications"

// Buffer is how many ids a subscription holds before it counts as slow and is dropped.
const Buffer = 64

// Why a subscription ended.
var (
	// ErrSlow: the subscriber did not keep up (its buffer filled).
	ErrSlow = errors.New("notify: subscriber too slow")
	// ErrClosed: the hub is shutting down.
	ErrClosed = errors.New("notify: hub closed")
)

// Limits bound the subscriptions of one process.
type Limits struct {
	PerUser int // subscriptions of one user at once
	Total   int // subscriptions of this process at once
}

// Hub fans notifications out to this process's subscribers. The zero value
// is not usable; call New, then Run.
type Hub struct {
	url    string
	log    *slog.Logger
	limits Limits

	// MinBackoff and MaxBackoff bound the wait between reconnection attempts
	// (doubling, with jitter). New sets 100 ms and 10 s.
	MinBackoff, MaxBackoff time.Duration

	mu        sync.Mutex
	subs      map[uuid.UUID]map[*Subscription]struct{}
	total     int
	closed    bool
	listening bool
	done      chan struct{}
}

// New returns a hub that listens through its own connection to databaseURL.
func New(databaseURL string, limits Limits, log *slog.Logger) *Hub {
	return &Hub{url: databaseURL, log: log, limits: limits, MinBackoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second,
		subs: map[uuid.UUID]map[*Subscription]struct{}{}, done: make(chan struct{})}
}

// Subscription is one subscriber's view of the hub.
type Subscription struct {
	// User is whose notifications these are.
	User uuid.UUID
	// IDs receives the id of each new notification of User.
	IDs <-chan uuid.UUID
	// Gap receives when notifications may have been missed (the hub was
	// reconnected): the subscriber catches up from the database.
	Gap <-chan struct{}
	// Done is closed when the hub drops the subscription; Err says why.
	Done <-chan struct{}

	ids  chan uuid.UUID
	gap  chan struct{}
	done chan struct{}
	err  error
	hub  *Hub
}

// Err is why the subscription ended (ErrSlow, ErrClosed), nil while it runs
// or after Close.
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// Close ends the subscription (idempotent).
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.drop(s, nil)
}

// Subscribe registers a subscriber for user's notifications. It returns
// errs.TooMany when the user or the process has as many as Limits allow,
// and errs.Unavailable when the hub is closed.
func (h *Hub) Subscribe(user uuid.UUID) (*Subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errs.E(errs.Unavailable, "the server is shutting down")
	}
	if h.limits.Total > 0 && h.total >= h.limits.Total {
		return nil, &errs.Error{Kind: errs.TooMany, Message: "too many notification streams on this server", RetryAfter: 5 * time.Second}
	}
	if h.limits.PerUser > 0 && len(h.subs[user]) >= h.limits.PerUser {
		return nil, &errs.Error{Kind: errs.TooMany, Message: fmt.Sprintf("at most %d notification streams per user", h.limits.PerUser),
			RetryAfter: 5 * time.Second}
	}
	s := &Subscription{User: user, ids: make(chan uuid.UUID, Buffer), gap: make(chan struct{}, 1), done: make(chan struct{}), hub: h}
	s.IDs, s.Gap, s.Done = s.ids, s.gap, s.done
	if h.subs[user] == nil {
		h.subs[user] = map[*Subscription]struct{}{}
	}
	h.subs[user][s] = struct{}{}
	h.total++
	return s, nil
}

// drop removes s (h.mu held) and closes its Done with reason err.
func (h *Hub) drop(s *Subscription, err error) {
	set, ok := h.subs[s.User]
	if !ok {
		return
	}
	if _, ok := set[s]; !ok {
		return
	}
	delete(set, s)
	if len(set) == 0 {
		delete(h.subs, s.User)
	}
	h.total--
	s.err = err
	close(s.done)
}

// Subscribers is how many subscriptions the hub holds.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total
}

// Listening reports whether the hub's LISTEN is established now.
func (h *Hub) Listening() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.listening
}

// Close drops every subscription (their streams end) and refuses new ones;
// Run returns soon after. cmd/fieldops calls it when the server starts
// shutting down, so that graceful shutdown does not wait on open streams.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.closed = true
	close(h.done)
	for _, set := range h.subs {
		for s := range set {
			h.drop(s, ErrClosed)
		}
	}
}

// Publish hands one notification id to user's subscribers on this process:
// what the listener does for each NOTIFY. A subscriber whose buffer is full
// is dropped (ErrSlow), so one slow client never holds up the others.
func (h *Hub) Publish(id, user uuid.UUID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[user] {
		select {
		case s.ids <- id:
		default:
			h.drop(s, ErrSlow)
		}
	}
}

// signalGap tells every subscriber to catch up from the database.
func (h *Hub) signalGap() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.subs {
		for s := range set {
			select {
			case s.gap <- struct{}{}:
			default: // one pending catch-up covers this one too
			}
		}
	}
}

func (h *Hub) setListening(v bool) {
	h.mu.Lock()
	h.listening = v
	h.mu.Unlock()
}

// Run listens until ctx ends or Close is called, reconnecting with
// exponential back-off (MinBackoff doubling to MaxBackoff, with jitter)
// whenever the connection fails. After every (re)connection it signals Gap to
// the subscribers, since notifications committed while it was not listening
// were not heard.
func (h *Hub) Run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-h.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	wait := h.MinBackoff
	for {
		heard, err := h.listen(ctx)
		h.setListening(false)
		if ctx.Err() != nil {
			return
		}
		if heard {
			wait = h.MinBackoff // it worked for a while: start the back-off again
		}
		h.log.Warn("notifications listener lost; reconnecting", "error", err, "in", wait.String())
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, h.MaxBackoff)
	}
}

// listen connects, LISTENs and dispatches until the connection fails or ctx
// ends; heard is true once the LISTEN was established.
func (h *Hub) listen(ctx context.Context) (heard bool, err error) {
	conn, err := pgx.Connect(ctx, h.url)
	if err != nil {
		return false, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return false, err
	}
	h.setListening(true)
	h.signalGap()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, err
		}
		id, user, ok := parsePayload(n.Payload)
		if !ok {
			h.log.Warn("notifications listener: unexpected payload", "channel", n.Channel)
			continue
		}
		h.Publish(id, user)
	}
}

// parsePayload reads "<notification id> <user id>".
func parsePayload(p string) (id, user uuid.UUID, ok bool) {
	a, b, found := strings.Cut(p, " ")
	if !found {
		return id, user, false
	}
	var err1, err2 error
	id, err1 = uuid.Parse(a)
	user, err2 = uuid.Parse(b)
	return id, user, err1 == nil && err2 == nil
}
