package api

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/platform/errs"
	"github.com/fieldops/fieldops/internal/platform/ratelimit"
)

// rateLimit spends one token of the caller's bucket (per user, per API
// client; internal/platform/ratelimit) on every authenticated request and
// says so in the RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset
// headers of draft-ietf-httpapi-ratelimit-headers-07 (the three-header form,
// which clients and proxies read today; the later drafts' combined
// RateLimit/RateLimit-Policy fields are not yet stable). Over the limit: 429
// with Retry-After. A nil limiter limits nothing.
func rateLimit(l *ratelimit.Limiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if l == nil {
			return next
		}
		return func(c echo.Context) error {
			p := principal(c)
			key := "user:" + p.UserID.String()
			if p.Client {
				key = "client:" + p.UserID.String()
			}
			d, err := l.Allow(c.Request().Context(), key)
			if err != nil {
				return err
			}
			h := c.Response().Header()
			h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
			h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
			h.Set("RateLimit-Reset", strconv.Itoa(seconds(d.Reset)))
			if !d.Allowed {
				return tooMany("too many requests; retry after Retry-After seconds", d)
			}
			return next(c)
		}
	}
}

// tokenLimit limits token requests per client address (an IPv6 /64) with the same bucket
// size and rate as callers get (a token request is a secret check and a
// database read, and comes before any caller is known). A nil limiter
// limits nothing.
func tokenLimit(l *ratelimit.Limiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if l == nil {
			return next
		}
		return func(c echo.Context) error {
			d, err := l.Allow(c.Request().Context(), "token:"+ratelimit.Address(c.RealIP()))
			if err != nil {
				return err
			}
			if !d.Allowed {
				return tooMany("too many token requests from this address; retry after Retry-After seconds", d)
			}
			return next(c)
		}
	}
}

// tooMany is the 429 of a refused decision: Retry-After in whole seconds, at least 1.
func tooMany(msg string, d ratelimit.Decision) error {
	return &errs.Error{Kind: errs.TooMany, Message: msg,
		RetryAfter: time.Duration(ratelimit.RetryAfterSeconds(d.RetryAfter)) * time.Second}
}

// seconds rounds up to whole seconds (0 stays 0).
func seconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return ratelimit.RetryAfterSeconds(d)
}
