package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
)

// Demo accounts have a published password: outside dev mode both ways of
// seeding refuse, and no account is created.
func TestDemoSeedNeedsDevMode(t *testing.T) {
	db, url := dbtest.New(t)
	env := []string{"DATABASE_URL=" + url, "FIELDOPS_JWT_SECRET=0123456789abcdef0123456789abcdef-prod", "FIELDOPS_HTTP_ADDR=127.0.0.1:0"}
	for _, args := range [][]string{{"seed"}, {"serve", "--seed"}} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, env, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), "FIELDOPS_DEV=true") {
			t.Errorf("%v outside dev mode = %v, want a refusal naming FIELDOPS_DEV=true", args, err)
		}
	}
	var n int64
	if err := db.Table("users").Count(&n).Error; err != nil || n != 0 {
		t.Fatalf("users after refused seeds: %d (%v), want 0", n, err)
	}
}
