package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/catalog"
	"github.com/fieldops/fieldops/internal/identity"
	"github.com/fieldops/fieldops/internal/orders"
	"github.com/fieldops/fieldops/internal/platform/auth"
)

// Delta sync (SPEC §6 GET /v1/orders, "What must be shown"): a client walks
// every page following next_cursor, keeps synced_until, and next time asks
// for updated_since=synced_until. While orders change under the walk, no
// order may appear twice in one walk and no change may be lost between walks.

// syncItem is the part of an order a sync client keeps.
type syncItem struct {
	ID          string    `json:"id"`
	Version     int       `json:"version"`
	UpdatedAt   time.Time `json:"updated_at"`
	Description string    `json:"description"`
}

// syncWalk is one complete walk over the pages of GET /v1/orders.
type syncWalk struct {
	Since       *time.Time // updated_since sent, nil for a full walk
	SyncedUntil time.Time  // the bound every page reported
	Items       []syncItem // in the order received
	Pages       int
}

// has returns the item of id in the walk.
func (w syncWalk) has(id string) (syncItem, bool) {
	for _, it := range w.Items {
		if it.ID == id {
			return it, true
		}
	}
	return syncItem{}, false
}

// syncWalkOrders walks every page of GET /v1/orders?limit=25 as tok,
// calling between after each page but the last (nil: nothing). It checks
// what must hold inside one walk: the same synced_until on every page, no
// id twice, strictly ascending (updated_at, id), and every item inside
// [updated_since, synced_until).
func syncWalkOrders(t *testing.T, env *apitest.Env, tok string, since *time.Time, between func(page []syncItem)) syncWalk {
	t.Helper()
	w := syncWalk{}
	if since != nil { // a copy: callers pass the address of a walk they go on to replace
		s := *since
		since, w.Since = &s, &s
	}
	seen := map[string]int{}
	cursor := ""
	for {
		q := url.Values{"limit": {"25"}}
		if since != nil {
			q.Set("updated_since", since.UTC().Format(time.RFC3339Nano))
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r := mustStatus(t, env.Do(http.MethodGet, "/v1/orders?"+q.Encode(), tok, nil), http.StatusOK, "list page")
		var pg struct {
			Items       []syncItem `json:"items"`
			NextCursor  *string    `json:"next_cursor"`
			SyncedUntil time.Time  `json:"synced_until"`
		}
		if err := json.Unmarshal(r.Raw, &pg); err != nil {
			t.Fatalf("decode page: %v: %s", err, r.Raw)
		}
		w.Pages++
		if w.Pages == 1 {
			w.SyncedUntil = pg.SyncedUntil
			if w.SyncedUntil.IsZero() {
				t.Fatalf("page 1 has no synced_until: %s", r.Raw)
			}
		} else if !pg.SyncedUntil.Equal(w.SyncedUntil) {
			t.Fatalf("page %d: synced_until %s, page 1 said %s: the bound must stay fixed for a walk",
				w.Pages, pg.SyncedUntil.Format(time.RFC3339Nano), w.SyncedUntil.Format(time.RFC3339Nano))
		}
		for _, it := range pg.Items {
			if p, dup := seen[it.ID]; dup {
				t.Fatalf("order %s appeared twice in one walk (pages %d and %d)", it.ID, p, w.Pages)
			}
			seen[it.ID] = w.Pages
			if !it.UpdatedAt.Before(w.SyncedUntil) {
				t.Fatalf("order %s updated_at %s is not before synced_until %s", it.ID,
					it.UpdatedAt.Format(time.RFC3339Nano), w.SyncedUntil.Format(time.RFC3339Nano))
			}
			if since != nil && it.UpdatedAt.Before(*since) {
				t.Fatalf("order %s updated_at %s is before updated_since %s", it.ID,
					it.UpdatedAt.Format(time.RFC3339Nano), since.Format(time.RFC3339Nano))
			}
			if n := len(w.Items); n > 0 {
				prev := w.Items[n-1]
				if it.UpdatedAt.Before(prev.UpdatedAt) || (it.UpdatedAt.Equal(prev.UpdatedAt) && it.ID <= prev.ID) {
					t.Fatalf("walk not in (updated_at, id) order: %s@%s after %s@%s", it.ID,
						it.UpdatedAt.Format(time.RFC3339Nano), prev.ID, prev.UpdatedAt.Format(time.RFC3339Nano))
				}
			}
			w.Items = append(w.Items, it)
		}
		if pg.NextCursor == nil {
			if !bytes.Contains(r.Raw, []byte(`"next_cursor":null`)) {
				t.Fatalf("last page must say next_cursor: null: %s", r.Raw)
			}
			return w
		}
		if len(pg.Items) != 25 {
			t.Fatalf("page %d has %d items and a next_cursor", w.Pages, len(pg.Items))
		}
		if between != nil {
			between(pg.Items)
		}
		cursor = *pg.NextCursor
	}
}

// syncChange is one committed write by a writer goroutine.
type syncChange struct {
	ID        string
	Version   int
	UpdatedAt time.Time // the transaction's start (set by the database)
	Committed time.Time // when the writer saw the commit return
	Kind      string
}

// syncWriters change and create orders concurrently with the walks: an
// updater (PATCH description over HTTP as the dispatcher, triage through the
// service) and a creator (new orders through the service). Every committed
// change is recorded.
type syncWriters struct {
	env      *apitest.Env
	dispTok  string
	disp     auth.Principal
	cust     []auth.Principal
	client   *http.Client
	seen     chan string // ids the walker has just received: changing them tests "never twice"
	ops      atomic.Int64
	tick     chan struct{}
	mu       sync.Mutex
	ids      []string // every order, the creator appends
	changes  []syncChange
	firstErr error
}

func (w *syncWriters) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.firstErr == nil {
		w.firstErr = err
	}
}

func (w *syncWriters) record(c syncChange) {
	c.Committed = time.Now()
	w.mu.Lock()
	w.changes = append(w.changes, c)
	w.mu.Unlock()
	w.ops.Add(1)
	select { // wake the walker; a full buffer already holds a wake-up
	case w.tick <- struct{}{}:
	default:
	}
}

func (w *syncWriters) randomID(rng *rand.Rand) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ids[rng.IntN(len(w.ids))]
}

// run starts both writers; they stop after max operations each (0: no
// limit) or when stop is closed. The returned channel closes when both have
// returned.
func (w *syncWriters) run(stop <-chan struct{}, max int, seed uint64) <-chan struct{} {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // updater
		defer wg.Done()
		rng := rand.New(rand.NewPCG(seed, 1))
		for i := 0; max == 0 || i < max; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var id string
			select {
			case id = <-w.seen:
			default:
				id = w.randomID(rng)
			}
			if i%3 == 2 {
				o, err := w.env.Orders.Triage(context.Background(), w.disp, uuid.MustParse(id),
					orders.TriageInput{Priority: orders.Priorities[rng.IntN(4)], Notes: "sync test"})
				if err != nil {
					w.fail(fmt.Errorf("triage %s: %w", id, err))
					return
				}
				w.record(syncChange{ID: id, Version: o.Version, UpdatedAt: o.UpdatedAt, Kind: "triage"})
				continue
			}
			c, err := w.patch(id, fmt.Sprintf("changed during sync, op %d", i))
			if err != nil {
				w.fail(err)
				return
			}
			w.record(c)
		}
	}()
	go func() { // creator
		defer wg.Done()
		for i := 0; max == 0 || i < max/3; i++ {
			select {
			case <-stop:
				return
			default:
			}
			o, err := syncCreate(w.env, w.cust[i%len(w.cust)], fmt.Sprintf("created during sync %d", i))
			if err != nil {
				w.fail(err)
				return
			}
			w.mu.Lock()
			w.ids = append(w.ids, o.ID.String())
			w.mu.Unlock()
			w.record(syncChange{ID: o.ID.String(), Version: o.Version, UpdatedAt: o.UpdatedAt, Kind: "create"})
		}
	}()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

// patch changes an order's description over HTTP (no t: it runs off the test goroutine).
func (w *syncWriters) patch(id, desc string) (syncChange, error) {
	body, _ := json.Marshal(map[string]string{"description": desc})
	req, err := http.NewRequest(http.MethodPatch, w.env.URL+"/v1/orders/"+id, bytes.NewReader(body))
	if err != nil {
		return syncChange{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.dispTok)
	res, err := w.client.Do(req)
	if err != nil {
		return syncChange{}, fmt.Errorf("patch %s: %w", id, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if err := apitest.CheckExchange(req, body, res, raw); err != nil {
		return syncChange{}, fmt.Errorf("patch %s: contract: %w", id, err)
	}
	if res.StatusCode != http.StatusOK {
		return syncChange{}, fmt.Errorf("patch %s: status %d: %s", id, res.StatusCode, raw)
	}
	var it syncItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return syncChange{}, fmt.Errorf("patch %s: %w", id, err)
	}
	if it.Description != desc {
		return syncChange{}, fmt.Errorf("patch %s: description %q, want %q", id, it.Description, desc)
	}
	return syncChange{ID: id, Version: it.Version, UpdatedAt: it.UpdatedAt, Kind: "patch"}, nil
}

// waitOps blocks until the writers have done at least n operations in all,
// or done is closed; it fails the test after a deadline.
func (w *syncWriters) waitOps(t *testing.T, n int64, done <-chan struct{}) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for w.ops.Load() < n {
		select {
		case <-w.tick:
		case <-done:
			return
		case <-deadline.C:
			t.Fatalf("writers made %d operations, waited for %d", w.ops.Load(), n)
		}
	}
}

// latest returns each order's last recorded change (highest version).
func (w *syncWriters) latest() map[string]syncChange {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]syncChange{}
	for _, c := range w.changes {
		if c.Version > out[c.ID].Version {
			out[c.ID] = c
		}
	}
	return out
}

func syncCreate(env *apitest.Env, p auth.Principal, desc string) (orders.Order, error) {
	return env.Orders.Create(context.Background(), p, orders.CreateInput{Type: "repair", Description: desc,
		Address: catalog.Address{Line1: "1 Sync Street", City: "Northport", Region: "north"}})
}

func syncPrincipal(t *testing.T, env *apitest.Env, email string) auth.Principal {
	t.Helper()
	u, err := env.Identity.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return identity.PrincipalOf(u)
}

// syncDBVersions reads every order's version straight from the database.
func syncDBVersions(t *testing.T, env *apitest.Env) map[string]int {
	t.Helper()
	var rows []struct {
		ID      uuid.UUID
		Version int
	}
	if err := env.DB.Raw("SELECT id, version FROM orders").Scan(&rows).Error; err != nil {
		t.Fatalf("read versions: %v", err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.ID.String()] = r.Version
	}
	return out
}

func TestOrdersDeltaSyncUnderConcurrentChanges(t *testing.T) {
	env := apitest.New(t)
	dispTok := env.Token("dispatcher@fieldops.test")
	w := &syncWriters{env: env, dispTok: dispTok, disp: syncPrincipal(t, env, "dispatcher@fieldops.test"),
		cust:   []auth.Principal{syncPrincipal(t, env, "alice@example.com"), syncPrincipal(t, env, "bob@example.com")},
		client: &http.Client{Timeout: 10 * time.Second}, seen: make(chan string, 64), tick: make(chan struct{}, 1)}
	for i := range 300 {
		o, err := syncCreate(env, w.cust[i%2], fmt.Sprintf("initial order %d", i))
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		w.ids = append(w.ids, o.ID.String())
	}
	feed := func(page []syncItem) { // hand ids just received to the updater: changing them must not bring them back
		for _, it := range page[:2] {
			select {
			case w.seen <- it.ID:
			default:
			}
		}
	}

	// Phase A: the writers start once the first page is out (so every change
	// they make is after the walk's bound) and keep going during walk 1.
	stopA := make(chan struct{})
	var doneA <-chan struct{}
	walk1 := syncWalkOrders(t, env, dispTok, nil, func(page []syncItem) {
		if doneA == nil {
			doneA = w.run(stopA, 0, 1)
		}
		feed(page)
		w.waitOps(t, w.ops.Load()+3, doneA) // changes land between every two pages
	})
	if doneA == nil {
		t.Fatalf("walk 1 had %d page(s); it needs several to race the writers", walk1.Pages)
	}
	close(stopA)
	<-doneA
	if w.firstErr != nil {
		t.Fatalf("writer: %v", w.firstErr)
	}
	changedA := w.latest()
	if len(changedA) == 0 {
		t.Fatal("the writers changed nothing during walk 1")
	}
	walk1Seen := map[string]syncItem{}
	for _, it := range walk1.Items {
		walk1Seen[it.ID] = it
	}
	// The walk must really have raced the writers: some orders were changed
	// after walk 1 returned them (a walk without a fixed bound would show them
	// again), and some before it reached them (only walk 2 can show those).
	var changedAfterSeen, changedBeforeSeen int
	for id, c := range changedA {
		if c.UpdatedAt.Before(walk1.SyncedUntil) {
			t.Fatalf("change of %s at %s is before walk 1's bound %s although it began after page 1",
				id, c.UpdatedAt.Format(time.RFC3339Nano), walk1.SyncedUntil.Format(time.RFC3339Nano))
		}
		if _, ok := walk1Seen[id]; ok {
			changedAfterSeen++
		} else {
			changedBeforeSeen++
		}
	}
	if changedAfterSeen == 0 || changedBeforeSeen == 0 {
		t.Fatalf("walk 1 did not race the writers: %d changed after being seen, %d before", changedAfterSeen, changedBeforeSeen)
	}
	t.Logf("walk 1: %d pages, %d orders; %d orders changed or created during it (%d already seen, %d not yet)",
		walk1.Pages, len(walk1.Items), len(changedA), changedAfterSeen, changedBeforeSeen)

	// Walk 2 from walk 1's synced_until: exactly the orders changed during
	// walk 1, each at its latest version. Everything else walk 1 had at its
	// final version.
	db := syncDBVersions(t, env)
	walk2 := syncWalkOrders(t, env, dispTok, &walk1.SyncedUntil, nil)
	walk2Seen := map[string]syncItem{}
	for _, it := range walk2.Items {
		walk2Seen[it.ID] = it
		if _, ok := changedA[it.ID]; !ok {
			t.Errorf("walk 2 returned %s, which nobody changed after walk 1's bound", it.ID)
		}
	}
	for id, c := range changedA {
		got, ok := walk2Seen[id]
		switch {
		case !ok:
			t.Errorf("change missed: %s (%s to version %d, stamped %s, committed %s during walk 1) is not in walk 2", id, c.Kind,
				c.Version, c.UpdatedAt.Format(time.RFC3339Nano), c.Committed.Format(time.RFC3339Nano))
		case got.Version != c.Version || got.Version != db[id]:
			t.Errorf("walk 2 has %s at version %d, latest write was %d, database has %d", id, got.Version, c.Version, db[id])
		}
	}
	for id, v := range db {
		if _, ok := changedA[id]; ok {
			continue
		}
		if got, ok := walk1Seen[id]; !ok || got.Version != v {
			t.Errorf("unchanged order %s: walk 1 has %+v, database version %d", id, got, v)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Phase B: repeated delta walks while the writers run by themselves; then
	// one more walk after they stop. The client's copy must end equal to the
	// database, every final change must be in the walk whose window holds its
	// timestamp, and no walk may hand back an older version than an earlier one.
	replica := map[string]int{}
	merge := func(wk syncWalk) {
		for _, it := range wk.Items {
			if old, ok := replica[it.ID]; ok && it.Version <= old {
				t.Fatalf("walk from %v returned %s at version %d, an earlier walk had %d", wk.Since, it.ID, it.Version, old)
			}
			replica[it.ID] = it.Version
		}
	}
	merge(walk1)
	merge(walk2)
	walks := []syncWalk{walk1, walk2}
	doneB := w.run(make(chan struct{}), 150, 2)
	last := walk2
	for running := true; running; {
		select {
		case <-doneB:
			running = false
		default:
		}
		base := w.ops.Load()
		last = syncWalkOrders(t, env, dispTok, &last.SyncedUntil, func(page []syncItem) {
			feed(page)
			w.waitOps(t, w.ops.Load()+1, doneB)
		})
		merge(last)
		walks = append(walks, last)
		w.waitOps(t, base+10, doneB) // let some changes pile up for the next walk
	}
	if w.firstErr != nil {
		t.Fatalf("writer: %v", w.firstErr)
	}
	last = syncWalkOrders(t, env, dispTok, &last.SyncedUntil, nil) // after the writers stopped
	merge(last)
	walks = append(walks, last)
	if len(walks) < 5 {
		t.Fatalf("only %d walks: phase B did not overlap the writers", len(walks))
	}

	db = syncDBVersions(t, env)
	if len(replica) != len(db) {
		t.Errorf("client copy has %d orders, database %d", len(replica), len(db))
	}
	for id, v := range db {
		if replica[id] != v {
			t.Errorf("order %s: client copy at version %d, database %d: a change was missed", id, replica[id], v)
		}
	}
	for id, c := range w.latest() {
		if c.Version != db[id] {
			t.Fatalf("writer's last change of %s is version %d, database has %d", id, c.Version, db[id])
		}
		var in *syncWalk
		for i := range walks {
			lo := walks[i].Since
			if (lo == nil || !c.UpdatedAt.Before(*lo)) && c.UpdatedAt.Before(walks[i].SyncedUntil) {
				in = &walks[i]
				break
			}
		}
		if in == nil {
			t.Errorf("final change of %s at %s is in no walk's window", id, c.UpdatedAt.Format(time.RFC3339Nano))
			continue
		}
		if got, ok := in.has(id); !ok || got.Version != c.Version {
			t.Errorf("final change of %s (version %d at %s) missing from the walk of [%v, %s): got %+v", id, c.Version,
				c.UpdatedAt.Format(time.RFC3339Nano), in.Since, in.SyncedUntil.Format(time.RFC3339Nano), got)
		}
	}

	// A fresh full walk sees every order exactly once at its latest version.
	full := syncWalkOrders(t, env, dispTok, nil, nil)
	if len(full.Items) != len(db) {
		t.Errorf("full walk has %d orders, database %d", len(full.Items), len(db))
	}
	for _, it := range full.Items {
		if it.Version != db[it.ID] {
			t.Errorf("full walk: %s at version %d, database %d", it.ID, it.Version, db[it.ID])
		}
	}
	t.Logf("%d walks, %d orders, %d writes", len(walks), len(db), w.ops.Load())
}

// The commit-order race: a transaction that started earlier but commits
// later than another stamps an older updated_at. A walk taken while it is
// open must stop its window before that transaction's start, so the next
// delta walk picks the row up once it commits.
func TestOrdersDeltaSyncWaitsForOpenTransactions(t *testing.T) {
	env := apitest.New(t)
	dispTok := env.Token("dispatcher@fieldops.test")
	alice := syncPrincipal(t, env, "alice@example.com")
	var ids []string
	for i := range 3 {
		o, err := syncCreate(env, alice, fmt.Sprintf("order %d", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.ID.String())
	}
	slow, fast, still := ids[0], ids[1], ids[2]

	tx := env.DB.Begin()
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	committed := false
	t.Cleanup(func() {
		if !committed {
			tx.Rollback()
		}
	})
	var txStart time.Time
	if err := tx.Raw("SELECT now()").Scan(&txStart).Error; err != nil {
		t.Fatal(err)
	}
	if err := tx.Exec("UPDATE orders SET description = 'changed by a slow transaction', version = version + 1 WHERE id = ?", slow).Error; err != nil {
		t.Fatal(err)
	}
	// A later transaction commits first, with a newer updated_at.
	r := mustStatus(t, env.Do(http.MethodPatch, "/v1/orders/"+fast, dispTok, map[string]any{"description": "changed quickly"}), http.StatusOK, "patch")
	var fastAfter syncItem
	if err := json.Unmarshal(r.Raw, &fastAfter); err != nil {
		t.Fatal(err)
	}
	if !fastAfter.UpdatedAt.After(txStart) {
		t.Fatalf("the quick change (%s) should be stamped after the slow transaction's start (%s)",
			fastAfter.UpdatedAt.Format(time.RFC3339Nano), txStart.Format(time.RFC3339Nano))
	}

	walk1 := syncWalkOrders(t, env, dispTok, nil, nil)
	if walk1.SyncedUntil.After(txStart) {
		t.Fatalf("synced_until %s is after the start %s of a transaction still open: its row would be missed",
			walk1.SyncedUntil.Format(time.RFC3339Nano), txStart.Format(time.RFC3339Nano))
	}
	if it, ok := walk1.has(slow); !ok || it.Version != 1 {
		t.Fatalf("walk 1 should show the slow order at its committed version 1: %+v, %v", it, ok)
	}
	if it, ok := walk1.has(still); !ok || it.Version != 1 {
		t.Fatalf("walk 1 should show the untouched order: %+v, %v", it, ok)
	}
	if _, ok := walk1.has(fast); ok {
		t.Fatalf("walk 1 shows %s, changed after its bound: the next walk would then skip the slow one", fast)
	}
	// While the transaction is open the bound does not move past it.
	again := syncWalkOrders(t, env, dispTok, &walk1.SyncedUntil, nil)
	if again.SyncedUntil.After(txStart) || len(again.Items) != 0 {
		t.Fatalf("delta walk during the open transaction: synced_until %s, %d items",
			again.SyncedUntil.Format(time.RFC3339Nano), len(again.Items))
	}

	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	committed = true
	walk2 := syncWalkOrders(t, env, dispTok, &again.SyncedUntil, nil)
	got := map[string]int{}
	for _, it := range walk2.Items {
		got[it.ID] = it.Version
	}
	want := map[string]int{slow: 2, fast: 2}
	if len(got) != len(want) || got[slow] != 2 || got[fast] != 2 {
		ks := make([]string, 0, len(got))
		for k, v := range got {
			ks = append(ks, fmt.Sprintf("%s@%d", k, v))
		}
		sort.Strings(ks)
		t.Fatalf("walk 2 after the commit = %v, want %s@2 and %s@2", ks, slow, fast)
	}
	if !walk2.SyncedUntil.After(fastAfter.UpdatedAt) {
		t.Fatalf("synced_until %s did not move past the committed changes", walk2.SyncedUntil.Format(time.RFC3339Nano))
	}
}

// A writer that began before a walk's bound but takes its transaction id only
// after it holds the next bound back to its start, before the client's
// updated_since. synced_until must not go back: the client would fetch again
// what it has (its next walk starting before where it stands), and nothing
// it lacks can be there (that writer stamps its rows after the first bound).
func TestOrdersDeltaSyncBoundNeverGoesBack(t *testing.T) {
	env := apitest.New(t)
	dispTok := env.Token("dispatcher@fieldops.test")
	alice := syncPrincipal(t, env, "alice@example.com")
	o, err := syncCreate(env, alice, "an order")
	if err != nil {
		t.Fatal(err)
	}

	tx := env.DB.Begin() // begun, no transaction id yet: not a writer
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	defer tx.Rollback()
	var txStart time.Time
	if err := tx.Raw("SELECT now()").Scan(&txStart).Error; err != nil {
		t.Fatal(err)
	}
	walk1 := syncWalkOrders(t, env, dispTok, nil, nil)
	if !walk1.SyncedUntil.After(txStart) {
		t.Fatalf("walk 1's bound %s should be after the start %s of a transaction that has written nothing",
			walk1.SyncedUntil.Format(time.RFC3339Nano), txStart.Format(time.RFC3339Nano))
	}
	if _, ok := walk1.has(o.ID.String()); !ok {
		t.Fatal("walk 1 should show the order")
	}
	// now it writes: a transaction id, and its start holds the bound back
	if err := tx.Exec("UPDATE orders SET description = 'changed late', version = version + 1 WHERE id = ?", o.ID).Error; err != nil {
		t.Fatal(err)
	}
	walk2 := syncWalkOrders(t, env, dispTok, &walk1.SyncedUntil, nil)
	if walk2.SyncedUntil.Before(walk1.SyncedUntil) || len(walk2.Items) != 0 {
		t.Fatalf("walk 2 from %s: synced_until %s, %d items; want no earlier than where it started, and nothing",
			walk1.SyncedUntil.Format(time.RFC3339Nano), walk2.SyncedUntil.Format(time.RFC3339Nano), len(walk2.Items))
	}
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	walk3 := syncWalkOrders(t, env, dispTok, &walk2.SyncedUntil, nil)
	if it, ok := walk3.has(o.ID.String()); !ok || it.Version != 2 {
		t.Fatalf("walk 3 should bring the late change (version 2): %+v, %v", it, ok)
	}
}
