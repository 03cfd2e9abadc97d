package database_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
)

// A commit hook's write commits with the change it rides on, or not at all.
func TestCommitHookCommitsWithTheChange(t *testing.T) {
	db, _ := dbtest.New(t)
	if err := db.Exec("CREATE TABLE probe (what text)").Error; err != nil {
		t.Fatal(err)
	}
	count := func(what string) (n int64) {
		t.Helper()
		if err := db.Raw("SELECT count(*) FROM probe WHERE what = ?", what).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert := func(what string) func(*gorm.DB) error {
		return func(tx *gorm.DB) error { return tx.Exec("INSERT INTO probe VALUES (?)", what).Error }
	}
	hooked := database.WithCommitHook(context.Background(), insert("hook"))

	if err := database.Write(hooked, db, insert("one")); err != nil || count("one") != 1 || count("hook") != 1 {
		t.Fatalf("a single write with a hook: %v, rows %d/%d", err, count("one"), count("hook"))
	}
	boom := errors.New("boom")
	err := database.Write(hooked, db, func(tx *gorm.DB) error {
		if err := insert("two")(tx); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || count("two") != 0 || count("hook") != 1 {
		t.Fatalf("a failed write: %v, rows %d, hook rows %d (the hook must not run)", err, count("two"), count("hook"))
	}
	failing := database.WithCommitHook(context.Background(), func(*gorm.DB) error { return boom })
	if err := database.WithTx(failing, db, insert("three")); !errors.Is(err, boom) || count("three") != 0 {
		t.Fatalf("a failing hook rolls the change back: %v, rows %d", err, count("three"))
	}
	if err := database.Write(context.Background(), db, insert("four")); err != nil || count("four") != 1 || count("hook") != 1 {
		t.Fatalf("without a hook: %v", err)
	}
}
