package apitest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// Event is one Server-Sent Event as read, or a comment line (Comment set).
type Event struct {
	ID, Type, Data string
	Comment        string
	// JSON is Data decoded (notification events).
	JSON map[string]any
}

// Stream is an open text/event-stream response read in the background.
// The exchange is checked against the document when the stream is closed
// (Close, or the server ending it: End), with every byte read as the body;
// each event's data is checked against the schema the operation names for
// it (eventSchemas) as it is read.
type Stream struct {
	t      testing.TB
	req    *http.Request
	res    *http.Response
	cancel context.CancelFunc
	events chan Event
	ended  chan struct{}
	mu     sync.Mutex
	raw    bytes.Buffer
	once   sync.Once
}

// EventSchemasKey is the operation extension that maps each event type of
// a text/event-stream response to the component schema of its data, e.g.
// {"notification": "#/components/schemas/Notification"}. A streaming
// operation without it fails the check: its events would be unchecked.
const EventSchemasKey = "x-event-schemas"

// OpenStream sends GET path with token (and headers as name, value pairs).
// A 200 text/event-stream answer is returned as a Stream, read until Close;
// any other answer is read whole, checked, and returned as a Response with a
// nil Stream.
func (e *Env) OpenStream(path, token string, headers ...string) (*Stream, Response) {
	e.T.Helper()
	return OpenStreamAt(e.T, e.URL, path, token, headers...)
}

// OpenStreamAt is Env.OpenStream on the server at base (e.g. a `fieldops
// serve` started by a test).
func OpenStreamAt(t testing.TB, base, path, token string, headers ...string) (*Stream, Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		cancel()
		t.Fatalf("apitest: %v", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("apitest: GET %s: %v", path, err)
	}
	if res.StatusCode != http.StatusOK {
		defer cancel()
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		Verify(t, req, nil, res, raw)
		out := Response{Status: res.StatusCode, Header: res.Header, Raw: raw}
		_ = json.Unmarshal(raw, &out.JSON)
		return nil, out
	}
	s := &Stream{t: t, req: req, res: res, cancel: cancel, events: make(chan Event, 1024), ended: make(chan struct{})}
	go s.read()
	t.Cleanup(s.Close)
	return s, Response{Status: res.StatusCode, Header: res.Header}
}

// read parses the stream into events until it ends.
func (s *Stream) read() {
	defer close(s.ended)
	defer close(s.events)
	r := bufio.NewReader(io.TeeReader(s.res.Body, lockedWriter{s}))
	var ev Event
	var data []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		switch {
		case line == "":
			if ev.Type != "" || ev.ID != "" || len(data) > 0 {
				ev.Data = strings.Join(data, "\n")
				s.events <- ev
			}
			ev, data = Event{}, nil
		case strings.HasPrefix(line, ":"):
			s.events <- Event{Comment: strings.TrimSpace(line[1:])}
		default:
			name, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch name {
			case "id":
				ev.ID = value
			case "event":
				ev.Type = value
			case "data":
				data = append(data, value)
			}
		}
	}
}

type lockedWriter struct{ s *Stream }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.raw.Write(p)
}

// Next returns the next event (not comments), failing the test if none
// comes within wait or the stream ends first. A notification event's data
// is checked against the document's Notification schema.
func (s *Stream) Next(wait time.Duration) Event {
	s.t.Helper()
	ev := s.next(wait, false)
	s.checkData(&ev)
	return ev
}

// NextComment returns the next comment line, skipping events.
func (s *Stream) NextComment(wait time.Duration) string {
	s.t.Helper()
	return s.next(wait, true).Comment
}

// next returns the next comment (comment) or event (!comment), skipping the
// other kind, failing the test if none comes within wait or the stream ends.
func (s *Stream) next(wait time.Duration, comment bool) Event {
	s.t.Helper()
	a, what := "an", "event"
	if comment {
		a, what = "a", "comment"
	}
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.t.Fatalf("stream %s ended while waiting for %s %s", s.req.URL.RequestURI(), a, what)
			}
			if (ev.Comment != "") == comment {
				return ev
			}
		case <-deadline.C:
			s.t.Fatalf("stream %s: no %s within %s", s.req.URL.RequestURI(), what, wait)
		}
	}
}

// End waits up to wait for the server to end the stream and returns the
// events it sent meanwhile (comments left out); it fails the test if the
// stream stays open. The exchange is then checked.
func (s *Stream) End(wait time.Duration) []Event {
	s.t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	var out []Event
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				s.Close()
				return out
			}
			if ev.Comment == "" {
				s.checkData(&ev)
				out = append(out, ev)
			}
		case <-deadline.C:
			s.t.Fatalf("stream %s still open after %s", s.req.URL.RequestURI(), wait)
		}
	}
}

// Close ends the stream from the client's side and checks the exchange
// (status, headers, media type) with everything read as its body.
func (s *Stream) Close() {
	s.once.Do(func() {
		s.cancel()
		<-s.ended
		s.res.Body.Close()
		s.mu.Lock()
		raw := slices.Clone(s.raw.Bytes())
		s.mu.Unlock()
		Verify(s.t, s.req, nil, s.res, raw)
	})
}

// checkData decodes ev.Data and checks it against the schema the
// operation's x-event-schemas names for ev.Type.
func (s *Stream) checkData(ev *Event) {
	s.t.Helper()
	if err := json.Unmarshal([]byte(ev.Data), &ev.JSON); err != nil {
		s.t.Errorf("stream %s: event %s data is not a JSON object: %v", s.req.URL.RequestURI(), ev.ID, err)
		return
	}
	if err := checkEvent(s.req, ev.Type, ev.JSON); err != nil {
		s.t.Errorf("contract: stream %s: event %s (%s) data: %v\ndata: %s", s.req.URL.RequestURI(), ev.ID, ev.Type, err, truncate([]byte(ev.Data), 1500))
	}
}

// checkEvent validates one event's data against the schema the request's
// operation documents for its type (EventSchemasKey).
func checkEvent(req *http.Request, typ string, v map[string]any) error {
	c, err := theContract()
	if err != nil {
		return err
	}
	route, _, err := c.router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("the stream's operation is not in the document: %w", err)
	}
	schemas, _ := route.Operation.Extensions[EventSchemasKey].(map[string]any)
	ref, _ := schemas[typ].(string)
	name, ok := strings.CutPrefix(ref, "#/components/schemas/")
	if !ok {
		return fmt.Errorf("event type %q has no schema in the operation's %s", typ, EventSchemasKey)
	}
	return checkSchema(name, v)
}

// checkSchema validates v against the (strict) component schema name.
func checkSchema(name string, v map[string]any) error {
	c, err := theContract()
	if err != nil {
		return err
	}
	ref := c.doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("the document has no schema %s", name)
	}
	var doc any = v
	return ref.Value.VisitJSON(doc, append(slices.Clone(c.opts.SchemaValidationOptions), openapi3.MultiErrors(),
		openapi3.VisitAsResponse())...)
}

// readBody reads a response body whole, except a text/event-stream, which
// never ends by itself: of it, only the first event (up to the first blank
// line) is read; the caller's Close then ends the stream. Env.Do can so call
// any documented operation, a streaming one too (the OpenAPI sweep does).
func readBody(res *http.Response) ([]byte, error) {
	if mt, _, _ := strings.Cut(res.Header.Get("Content-Type"), ";"); strings.TrimSpace(mt) != "text/event-stream" {
		return io.ReadAll(res.Body)
	}
	var out bytes.Buffer
	r := bufio.NewReader(res.Body)
	for {
		line, err := r.ReadString('\n')
		out.WriteString(line)
		if err != nil || line == "\n" || line == "\r\n" {
			return out.Bytes(), err
		}
	}
}
