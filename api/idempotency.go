package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/auth"
	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/idempotency"
)

// IdempotencyHeader is the request header clients retry with.
const IdempotencyHeader = "Idempotency-Key"

// recorder tees what a handler writes so the response can be stored.
type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

// idempotent makes a POST safe to retry when it carries an Idempotency-Key:
// the same key and body replay the first response (status and body, with
// Idempotent-Replayed: true); the same key with another body is 422; a
// duplicate while the first is in flight is 409 and does not run. Keys are
// per caller (the user; the client address for sign-up) and kept 24 h. Server errors (5xx) release the key for a retry.
func idempotent(store *idempotency.Store) echo.MiddlewareFunc { return idempotentKeeping(store, true) }

// idempotentCredentials is idempotent for a route whose success response
// carries credentials (sign-up: an access and a refresh token). Tokens are
// never stored in clear: a success is recorded by its status alone, and a
// retry of it is 409 (the account exists; log in) rather than a replay that
// would hand out working tokens to whoever holds the key. Failures (409,
// 422) carry no secret and replay as usual.
func idempotentCredentials(store *idempotency.Store) echo.MiddlewareFunc {
	return idempotentKeeping(store, false)
}

// idempotentKeeping is the middleware; keepSuccess says whether a 2xx body
// is stored for replay.
func idempotentKeeping(store *idempotency.Store, keepSuccess bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := strings.Trim(strings.TrimSpace(c.Request().Header.Get(IdempotencyHeader)), `"`)
			if key == "" {
				return next(c)
			}
			if len(key) > 255 {
				return errs.Field(IdempotencyHeader, "must be at most 255 characters")
			}
			if !isText(key) { // header values may carry any byte above 0x7F; the key is stored as text
				return errs.Field(IdempotencyHeader, "must be UTF-8 text")
			}
			body, err := io.ReadAll(c.Request().Body)
			if err != nil {
				return decodeError(err)
			}
			c.Request().Body = io.NopCloser(bytes.NewReader(body))
			h := sha256.New()
			io.WriteString(h, c.Request().Method+" "+c.Request().URL.Path+"\n")
			h.Write(body)
			caller := "ip:" + c.RealIP() // sign-up: nobody is signed in yet
			if p, ok := auth.FromContext(c.Request().Context()); ok {
				caller = "user:" + p.UserID.String()
			}
			ctx := c.Request().Context()
			outcome, rec, err := store.Claim(ctx, caller, key, h.Sum(nil))
			if err != nil {
				return err
			}
			switch outcome {
			case idempotency.Mismatch:
				return errs.Field(IdempotencyHeader, "was already used with a different request; use a new key")
			case idempotency.InFlight:
				return &errs.Error{Kind: errs.Conflict, Message: "a request with this Idempotency-Key is still being processed; retry later"}
			case idempotency.Committed:
				return &errs.Error{Kind: errs.Conflict, Message: "a request with this Idempotency-Key was carried out, but its response was lost; read the resource instead of retrying"}
			case idempotency.Replay:
				if !keepSuccess && *rec.ResponseStatus < 300 {
					return &errs.Error{Kind: errs.Conflict, Message: "a request with this Idempotency-Key already succeeded; its credentials are not kept, so log in instead"}
				}
				res := c.Response()
				res.Header().Set("Idempotent-Replayed", "true")
				if rec.Location != nil && *rec.Location != "" {
					res.Header().Set(echo.HeaderLocation, *rec.Location)
				}
				if rec.ETag != nil && *rec.ETag != "" {
					res.Header().Set("ETag", *rec.ETag)
				}
				ct := echo.MIMEApplicationJSON
				if rec.ResponseType != nil && *rec.ResponseType != "" {
					ct = *rec.ResponseType
				}
				return c.Blob(*rec.ResponseStatus, ct, rec.ResponseBody)
			}
			rw := &recorder{ResponseWriter: c.Response().Writer}
			c.Response().Writer = rw
			defer func() {
				if r := recover(); r != nil { // let the key be retried, then let Recover handle it
					_ = store.Release(context.WithoutCancel(ctx), caller, key)
					panic(r)
				}
			}()
			// the key is marked committed in the handler's business
			// transaction: a crash after that commit can never run it again
			c.SetRequest(c.Request().WithContext(database.WithCommitHook(ctx, func(tx *gorm.DB) error {
				return store.MarkCommitted(tx, caller, key)
			})))
			herr := next(c)
			if herr != nil {
				c.Error(herr) // render the problem now, so it is recorded too
			}
			// The client may have gone; finish the bookkeeping regardless.
			bg := context.WithoutCancel(ctx)
			if rw.status >= 500 || rw.status == 0 {
				_ = store.Release(bg, caller, key)
				return nil
			}
			hdr := c.Response().Header()
			kept := idempotency.Response{Status: rw.status, ContentType: hdr.Get(echo.HeaderContentType),
				Location: hdr.Get(echo.HeaderLocation), ETag: hdr.Get("ETag"), Body: rw.buf.Bytes()}
			if !keepSuccess && rw.status < 300 {
				kept = idempotency.Response{Status: rw.status} // the status only: the body held tokens
			}
			return store.Complete(bg, caller, key, kept)
		}
	}
}
