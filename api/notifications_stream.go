package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/config"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/notify"
)

// Server-Sent Events (the WHATWG HTML "server-sent events" format) are
// written by hand: the format is four line types, and a library would add a
// dependency for less code than this file's loop.

// streamPage is how many notifications one catch-up read takes at a time.
const streamPage = 100

// streamWriteWindow is how long one event write may take before the
// connection counts as dead; the server's WriteTimeout is moved forward by
// it before every write, so it never ends a healthy stream.
const streamWriteWindow = 10 * time.Second

// streamRetry is the reconnection delay (ms) the stream suggests to clients.
const streamRetry = 3000

// streaming are the routes that hold their request open: the per-request
// context deadline (FIELDOPS_HTTP_REQUEST_TIMEOUT) does not apply to them.
var streaming = map[string]bool{"/v1/notifications/stream": true}

// handleNotificationStream pushes the caller's new notifications as they are
// written, on any replica.
//
//	@Summary		My notifications, live (Server-Sent Events)
//	@Description	A text/event-stream of the caller's new notifications, written through any server of the deployment. Each event is `id: <notification id>`, `event: notification` and `data: <the Notification as JSON, as an item of GET /v1/notifications>` (schema Notification; x-event-schemas maps each event type to its data schema); ids are time-ordered. With `Last-Event-ID` (header, or the `last_event_id` query parameter; the header wins) the notifications after that id are sent first, from the database, then the live ones; without it the stream starts with the next new notification. Delivery is at least once: a client skips an id it has seen. A comment line (`: heartbeat`) comes every FIELDOPS_STREAM_HEARTBEAT (15 s). The stream ends when the account is deactivated, after FIELDOPS_STREAM_MAX_AGE (15 min), when the client is too slow to read, or when the server shuts down: reconnect with Last-Event-ID and a current access token. At most FIELDOPS_STREAM_MAX_PER_USER streams per user and server (429).
//	@ID				streamNotifications
//	@Tags			notifications
//	@Produce		text/event-stream
//	@Produce		json
//	@Security		BearerAuth
//	@Param			Last-Event-ID	header		string	false	"the id of the last event received: resume after it"	Format(uuid)
//	@Param			last_event_id	query		string	false	"the same, for clients that cannot set headers"		Format(uuid)
//	@Success		200				{file}		binary	"text/event-stream: `notification` events whose data is a Notification"
//	@Failure		401				{object}	Problem
//	@Failure		422				{object}	Problem
//	@Failure		429				{object}	Problem
//	@Header			429				{integer}	Retry-After	"seconds to wait"
//	@Failure		503				{object}	Problem
//	@Header			503				{integer}	Retry-After	"seconds to wait"
//	@x-event-schemas	{"notification": "#/components/schemas/Notification"}
//	@Router			/v1/notifications/stream [get]
func handleNotificationStream(svc *orders.Service, hub *notify.Hub, current CurrentPrincipal, cfg config.Stream, log *slog.Logger) echo.HandlerFunc {
	return func(c echo.Context) error {
		after, resume, err := lastEventID(c)
		if err != nil {
			return err
		}
		w := c.Response()
		h := w.Header()
		h.Set(echo.HeaderContentType, "text/event-stream")
		h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
		if c.Request().Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return nil
		}
		p := principal(c)
		ctx := c.Request().Context()
		sub, err := hub.Subscribe(p.UserID)
		if err != nil {
			return err
		}
		defer sub.Close()
		// subscribed first, then the position: a notification committed in
		// between arrives through the subscription and is not lost
		if !resume {
			if after, err = svc.LatestNotificationID(ctx, p); err != nil {
				return err
			}
		}
		rc := http.NewResponseController(w)
		// the server's ReadTimeout would cancel the request once it passes
		// (net/http's background read); a stream reads nothing more
		_ = rc.SetReadDeadline(time.Time{})
		w.WriteHeader(http.StatusOK)
		s := &eventStream{svc: svc, p: p, w: w, rc: rc, start: after, last: after}
		if err := s.write(fmt.Sprintf("retry: %d\n\n", streamRetry)); err != nil {
			return nil
		}
		if resume {
			if err := s.catchUp(ctx, after); err != nil {
				return s.end(log, c, err)
			}
		}
		beat := time.NewTicker(cfg.Heartbeat)
		defer beat.Stop()
		maxAge := time.NewTimer(cfg.MaxAge)
		defer maxAge.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-sub.Done:
				return nil // the server shuts down, or the client did not keep up
			case <-maxAge.C:
				return nil
			case id := <-sub.IDs:
				batch := []uuid.UUID{id}
				for len(batch) < streamPage && len(sub.IDs) > 0 {
					batch = append(batch, <-sub.IDs)
				}
				if err := s.sendIDs(ctx, batch); err != nil {
					return s.end(log, c, err)
				}
			case <-sub.Gap:
				if err := s.catchUp(ctx, s.gapFrom()); err != nil {
					return s.end(log, c, err)
				}
			case <-beat.C:
				if _, live, err := current(ctx, p.UserID); err != nil {
					return s.end(log, c, err)
				} else if !live {
					return nil // deactivated
				}
				if err := s.write(": heartbeat\n\n"); err != nil {
					return nil
				}
			}
		}
	}
}

// lastEventID reads the resume position: the Last-Event-ID header, else
// the last_event_id query parameter. resume is false when neither is sent.
func lastEventID(c echo.Context) (id uuid.UUID, resume bool, err error) {
	field, v := "Last-Event-ID", c.Request().Header.Get("Last-Event-ID")
	if v == "" {
		field, v = "last_event_id", c.QueryParam("last_event_id")
	}
	if v == "" {
		return uuid.Nil, false, nil
	}
	id, ok := canonicalUUID(v)
	if !ok {
		return uuid.Nil, false, errs.Field(field, "must be the id of an event of this stream (a UUID)")
	}
	return id, true, nil
}

// eventStream is one open stream: what it sent, and where it is.
type eventStream struct {
	svc *orders.Service
	p   auth.Principal
	w   *echo.Response
	rc  *http.ResponseController
	// start is the position the stream opened at (Last-Event-ID, or the
	// newest notification then); last is the greatest id sent since (or start)
	start, last uuid.UUID
	// sent holds the ids sent recently, so that a notification heard live
	// and read again by a catch-up goes out once
	sent []uuid.UUID
}

// sentKeep bounds eventStream.sent.
const sentKeep = 256

// catchUp sends the caller's notifications after from, oldest first, that
// the stream has not sent.
func (s *eventStream) catchUp(ctx context.Context, from uuid.UUID) error {
	for {
		rows, err := s.svc.NotificationsAfter(ctx, s.p, from, streamPage)
		if err != nil {
			return err
		}
		if err := s.send(rows); err != nil {
			return err
		}
		if len(rows) < streamPage {
			return nil
		}
		from = rows[len(rows)-1].ID
	}
}

// gapWindow is how far before its position a stream looks again after the
// listener reconnected: a transaction that took its notification id earlier
// may have committed after a newer one was sent, while nobody listened. The
// ids sent recently (sent) are not sent twice.
const gapWindow = time.Minute

// gapFrom is where a catch-up after a gap starts: gapWindow before the
// position, but never before where the stream opened.
func (s *eventStream) gapFrom() uuid.UUID {
	from := before(s.last, gapWindow)
	if bytes.Compare(from[:], s.start[:]) < 0 {
		return s.start
	}
	return from
}

// before returns the smallest UUIDv7 of the millisecond d before id's (the
// nil UUID stays nil).
func before(id uuid.UUID, d time.Duration) uuid.UUID {
	if id == uuid.Nil {
		return id
	}
	ms := int64(id[0])<<40 | int64(id[1])<<32 | int64(id[2])<<24 | int64(id[3])<<16 | int64(id[4])<<8 | int64(id[5])
	ms = max(ms-d.Milliseconds(), 0)
	var out uuid.UUID
	for i := range 6 {
		out[i] = byte(ms >> (40 - 8*i))
	}
	return out
}

// sendIDs sends the caller's notifications among ids (heard live) that the
// stream has not sent yet; a notification that committed late (an id before
// the position) still goes out.
func (s *eventStream) sendIDs(ctx context.Context, ids []uuid.UUID) error {
	ids = slices.DeleteFunc(ids, func(id uuid.UUID) bool { return slices.Contains(s.sent, id) })
	rows, err := s.svc.NotificationsByID(ctx, s.p, ids)
	if err != nil {
		return err
	}
	return s.send(rows)
}

// send writes one event per notification not sent before, then flushes.
func (s *eventStream) send(rows []orders.Notification) error {
	var b strings.Builder
	for _, n := range rows {
		if slices.Contains(s.sent, n.ID) {
			continue
		}
		data, err := json.Marshal(toNotificationResponse(n))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "id: %s\nevent: notification\ndata: %s\n\n", n.ID, data)
		s.sent = append(s.sent, n.ID)
		if len(s.sent) > sentKeep {
			s.sent = s.sent[len(s.sent)-sentKeep:]
		}
		if bytes.Compare(n.ID[:], s.last[:]) > 0 {
			s.last = n.ID
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return s.write(b.String())
}

// write sends text and flushes it, moving the write deadline first.
func (s *eventStream) write(text string) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(streamWriteWindow))
	if _, err := s.w.Write([]byte(text)); err != nil {
		return errClientGone
	}
	if err := s.rc.Flush(); err != nil {
		return errClientGone
	}
	return nil
}

// errClientGone: a write failed, the client is gone.
var errClientGone = errors.New("stream: client gone")

// end closes a stream on err: the headers are out, so the error is logged,
// not answered; the client reconnects with Last-Event-ID.
func (s *eventStream) end(log *slog.Logger, c echo.Context, err error) error {
	if !errors.Is(err, errClientGone) && c.Request().Context().Err() == nil {
		log.Warn("notification stream ended by an error", "request_id", c.Response().Header().Get(echo.HeaderXRequestID),
			"error", err)
	}
	return nil
}

// notifyMetrics exports the hub's state on the metrics listener: open
// streams on this replica, and whether its LISTEN connection is up (0 while
// it reconnects; streams catch up from the database when it is back).
func notifyMetrics(reg prometheus.Registerer, hub *notify.Hub) {
	if hub == nil {
		return
	}
	_ = reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "fieldops", Subsystem: "notify", Name: "streams",
		Help: "Open notification streams (GET /v1/notifications/stream) on this replica."},
		func() float64 { return float64(hub.Subscribers()) }))
	_ = reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "fieldops", Subsystem: "notify", Name: "listening",
		Help: "1 while this replica's PostgreSQL LISTEN connection for notifications is up."},
		func() float64 {
			if hub.Listening() {
				return 1
			}
			return 0
		}))
}
