package outbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/fieldops/fieldops/internal/platform/database"
	"github.com/fieldops/fieldops/internal/platform/database/dbtest"
	"github.com/fieldops/fieldops/internal/platform/outbox"
)

func TestWriteIsPartOfTheTransaction(t *testing.T) {
	db, _ := dbtest.New(t)
	ctx := context.Background()
	order := uuid.New()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

	// A rolled-back change leaves no event.
	boom := errors.New("boom")
	err := database.WithTx(ctx, db, func(tx *gorm.DB) error {
		if _, err := outbox.Write(ctx, tx, outbox.OrderCreated, &order, nil, at, map[string]any{"id": order}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("WithTx = %v, want boom", err)
	}
	var n int64
	db.Model(&outbox.Event{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d events after rollback, want 0", n)
	}

	// Committed changes keep their events, numbered in commit order.
	for _, typ := range []string{outbox.OrderCreated, outbox.OrderAssigned} {
		if err := database.WithTx(ctx, db, func(tx *gorm.DB) error {
			_, err := outbox.Write(ctx, tx, typ, &order, nil, at, map[string]any{"id": order})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	var got []outbox.Event
	if err := db.Order("seq").Find(&got).Error; err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Type != outbox.OrderCreated || got[1].Type != outbox.OrderAssigned || got[0].Seq >= got[1].Seq {
		t.Fatalf("events = %+v", got)
	}
	if string(got[0].Data) != `{"id": "`+order.String()+`"}` {
		t.Errorf("data = %s", got[0].Data)
	}
}

func TestWriteRefusesBadEvents(t *testing.T) {
	db, _ := dbtest.New(t)
	ctx := context.Background()
	at := time.Now()
	if _, err := outbox.Write(ctx, db, "Order Created", nil, nil, at, map[string]any{}); err == nil {
		t.Error("a malformed type was written")
	}
	if _, err := outbox.Write(ctx, db, outbox.StockLow, nil, nil, at, []int{1}); err == nil {
		t.Error("non-object data was written")
	}
	var n int64
	db.Model(&outbox.Event{}).Count(&n)
	if n != 0 {
		t.Errorf("%d events written, want 0", n)
	}
}
