package main

import (
	"context"

	"github.com/fieldops/fieldops/internal/platform/notify"
)

// startNotify starts this process's live-notification hub: one PostgreSQL
// connection of its own LISTENs until ctx ends (reconnecting with back-off).
// serve closes the hub when the HTTP server starts shutting down, so that
// open notification streams end and graceful shutdown does not wait on them.
func startNotify(ctx context.Context, a *app) *notify.Hub {
	hub := notify.New(a.cfg.Database.URL, notify.Limits{PerUser: a.cfg.Stream.MaxPerUser, Total: a.cfg.Stream.MaxTotal},
		a.log.With("component", "notify"))
	go hub.Run(ctx)
	return hub
}
