package api_test

import (
	"net/http"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// A transaction that only reads (a report, pg_dump, an idle BEGIN in psql)
// must not hide new changes from order lists; one that has written must.
func TestOpenReadOnlyTransactionDoesNotHideNewOrders(t *testing.T) {
	env := apitest.New(t)
	alice := env.Token("alice@example.com")
	reader := env.DB.Begin()
	t.Cleanup(func() { reader.Rollback() })
	var n int64
	if err := reader.Raw("SELECT count(*) FROM orders").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	created := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{
		"type": "repair", "description": "Fridge is warm",
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
	}), http.StatusCreated, "create")
	list := mustStatus(t, env.Do(http.MethodGet, "/v1/orders", alice, nil), http.StatusOK, "list")
	if !listHas(list, created.JSON["id"].(string)) {
		t.Fatalf("a read-only transaction hid the new order: %s", list.Raw)
	}

	// A transaction that has written holds the bound back until it ends.
	writer := env.DB.Begin()
	t.Cleanup(func() { writer.Rollback() })
	if err := writer.Exec("UPDATE users SET name = name WHERE email = 'bob@example.com'").Error; err != nil {
		t.Fatal(err)
	}
	second := mustStatus(t, env.Do(http.MethodPost, "/v1/orders", alice, map[string]any{
		"type": "repair", "description": "Oven is cold",
		"address": map[string]any{"line1": "12 Harbour Road", "city": "Northport", "region": "north"},
	}), http.StatusCreated, "create while a writer is open")
	if listHas(mustStatus(t, env.Do(http.MethodGet, "/v1/orders", alice, nil), http.StatusOK, "list"), second.JSON["id"].(string)) {
		t.Fatal("an order written after an open writing transaction began must wait for it (else that writer's rows could be missed)")
	}
	if err := writer.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if !listHas(mustStatus(t, env.Do(http.MethodGet, "/v1/orders", alice, nil), http.StatusOK, "list"), second.JSON["id"].(string)) {
		t.Fatal("after the writer committed the order must be listed")
	}
}

func listHas(r apitest.Response, id string) bool {
	for _, it := range r.JSON["items"].([]any) {
		if it.(map[string]any)["id"] == id {
			return true
		}
	}
	return false
}
