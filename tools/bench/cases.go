package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// A benchCase is one request shape. prepare checks it once against a target
// and builds that target's request sequence; the attack cycles through it.
type benchCase struct {
	name    string
	request string // what the report says was sent
	want    int    // expected status
	raw     bool   // also measured against the raw baseline server (-raw)
	prepare func(ctx context.Context, t *target) ([]request, error)
}

// request is one prepared call; the targeter hands them out round-robin.
type request struct {
	method, path, token string
	body                []byte
}

const jobList = "/v1/orders?status=assigned,accepted,scheduled&limit=50"

// syncWindow is how far back the delta-sync walk starts (from the newest
// order's updated_at), and syncMaxPages bounds one technician's walk.
const (
	syncWindow   = 7 * 24 * time.Hour
	syncMaxPages = 20
)

// rawCaseNames are the cases the raw baseline server serves (raw_server.go).
var rawCaseNames = []string{"get", "intake"}

func allCases() []benchCase {
	cases := []benchCase{
		{name: "job_list", want: http.StatusOK,
			request: "technician `GET " + jobList + "` (up to 32 technicians in turn)",
			prepare: prepareJobList},
		{name: "delta_sync", want: http.StatusOK,
			request: "technician `GET /v1/orders?updated_since=<newest - 7 d>&limit=50` and its `cursor` pages (a whole walk per technician, precomputed)",
			prepare: prepareDeltaSync},
		{name: "get", want: http.StatusOK,
			request: "technician `GET /v1/orders/{id}` of an order on their job list",
			prepare: prepareGet},
		{name: "intake", want: http.StatusCreated,
			request: "customer `POST /v1/orders` for a registered asset (up to 32 customers in turn)",
			prepare: prepareIntake},
		{name: "triage", want: http.StatusOK,
			request: "in-house dispatcher `POST /v1/orders/{id}/triage` on submitted/triaged orders (triage may repeat: triaged → triaged)",
			prepare: prepareTriage},
	}
	for i := range cases {
		cases[i].raw = slices.Contains(rawCaseNames, cases[i].name)
	}
	return cases
}

func caseNames() []string {
	var out []string
	for _, c := range allCases() {
		out = append(out, c.name)
	}
	return out
}

// orderPage is the part of an OrderList the preparation reads.
type orderPage struct {
	Items []struct {
		ID string `json:"id"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// call sends r once to t's FieldOps (outside the measurement) and decodes a JSON answer.
func call(ctx context.Context, t *target, r request, want int, into any) error {
	return callAt(ctx, t.srv.base, r, want, into)
}

// callAt is call to the server at base.
func callAt(ctx context.Context, base string, r request, want int, into any) error {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, base+r.path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %.300s", r.method, r.path, resp.StatusCode, want, b)
	}
	if into != nil {
		return json.Unmarshal(b, into)
	}
	return nil
}

// jobLists keeps each target's first job-list pages (per technician) for
// the GET case, which runs after the job list.
func prepareJobList(ctx context.Context, t *target) ([]request, error) {
	var out []request
	t.ownOrders, t.listItems = nil, 0
	for _, tok := range t.fx.techs {
		r := request{method: http.MethodGet, path: jobList, token: tok}
		var p orderPage
		if err := call(ctx, t, r, http.StatusOK, &p); err != nil {
			return nil, err
		}
		t.listItems += float64(len(p.Items)) / float64(len(t.fx.techs))
		for _, it := range p.Items {
			t.ownOrders = append(t.ownOrders, request{method: http.MethodGet, path: "/v1/orders/" + it.ID, token: tok})
		}
		out = append(out, r)
	}
	if len(t.ownOrders) == 0 {
		return nil, errors.New("no technician has an order on the job list")
	}
	return out, nil
}

func prepareDeltaSync(ctx context.Context, t *target) ([]request, error) {
	since := url.QueryEscape(t.fx.newest.Add(-syncWindow).UTC().Format(time.RFC3339Nano))
	var out []request
	items := 0
	for _, tok := range t.fx.techs {
		path := "/v1/orders?updated_since=" + since + "&limit=50"
		for range syncMaxPages {
			r := request{method: http.MethodGet, path: path, token: tok}
			var p orderPage
			if err := call(ctx, t, r, http.StatusOK, &p); err != nil {
				return nil, err
			}
			out = append(out, r)
			items += len(p.Items)
			if p.NextCursor == nil {
				break
			}
			path = "/v1/orders?updated_since=" + since + "&limit=50&cursor=" + url.QueryEscape(*p.NextCursor)
		}
	}
	t.syncItems = float64(items) / float64(len(out))
	return out, nil
}

func prepareGet(ctx context.Context, t *target) ([]request, error) {
	if len(t.ownOrders) == 0 { // -cases without job_list
		if _, err := prepareJobList(ctx, t); err != nil {
			return nil, err
		}
	}
	if err := call(ctx, t, t.ownOrders[0], http.StatusOK, nil); err != nil {
		return nil, err
	}
	return t.ownOrders, nil
}

func prepareIntake(ctx context.Context, t *target) ([]request, error) {
	var out []request
	for _, a := range t.fx.assets {
		body, err := json.Marshal(map[string]any{
			"type": "repair", "description": "Benchmark: the unit drips water", "asset_id": a.id,
			"address": map[string]any{"line1": a.line1, "city": a.city, "region": a.region},
		})
		if err != nil {
			return nil, err
		}
		out = append(out, request{method: http.MethodPost, path: "/v1/orders", token: a.token, body: body})
	}
	if err := call(ctx, t, out[0], http.StatusCreated, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// prepareTriage reads the submitted and triaged orders now, after the
// intake case has added some.
func prepareTriage(ctx context.Context, t *target) ([]request, error) {
	rows, err := t.db.Query(ctx, `SELECT id FROM orders WHERE status IN ('submitted', 'triaged') ORDER BY id LIMIT 2000`)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errors.New("no submitted or triaged order")
	}
	body := []byte(`{"priority":"P3","notes":"benchmark triage"}`)
	out := make([]request, len(ids))
	for i, id := range ids {
		out[i] = request{method: http.MethodPost, path: "/v1/orders/" + id.String() + "/triage", token: t.fx.dispatch, body: body}
	}
	if err := call(ctx, t, out[0], http.StatusOK, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// targeter hands out reqs round-robin (safe for concurrent workers).
func targeter(base string, reqs []request) vegeta.Targeter {
	var next atomic.Uint64
	jsonType := []string{"application/json"}
	return func(tgt *vegeta.Target) error {
		r := reqs[(next.Add(1)-1)%uint64(len(reqs))]
		tgt.Method, tgt.URL, tgt.Body = r.method, base+r.path, r.body
		tgt.Header = http.Header{"Authorization": {"Bearer " + r.token}}
		if r.body != nil {
			tgt.Header["Content-Type"] = jsonType
		}
		return nil
	}
}
