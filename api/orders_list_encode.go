package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// The order list page (GET /v1/orders: the technician's job list and delta
// sync, the hot path of issue 8) is encoded by hand into a pooled buffer and
// sent with one Write. encoding/json's reflection over OrderResponse (about
// 45 fields with its parties, quote, charges and parts) was 36 % of the list
// handler's CPU once the statement's planning was gone (docs/PERFORMANCE.md,
// "List pages at 32 clients"); a faster third-party encoder was not worth a
// dependency for one type. The output is byte for byte what c.JSON writes
// (encoding/json with HTML escaping, a trailing newline):
// TestOrderListEncodingMatchesEncodingJSON compares them on every list page
// of the contract tests' data, and the contract tests validate every page
// against the OpenAPI document. A new field of OrderResponse must be added
// here too: the comparison test fails until it is.

// jsonBufs holds the buffers of encoded pages and orders (a 50-item page is
// about 100 KB); a buffer grown past 1 MiB by a 200-item page is not kept.
var jsonBufs = sync.Pool{New: func() any { b := make([]byte, 0, 128<<10); return &b }}

// writeOrderList sends out as c.JSON(http.StatusOK, out) would.
func writeOrderList(c echo.Context, out *OrderList) error {
	return writeJSONWith(c, http.StatusOK, out, appendOrderList)
}

// writeJSONWith sends v as c.JSON(status, v) would, encoded by appendV (one
// order, GET /v1/orders/{id} and the transitions: writeOrder; or a page).
func writeJSONWith[T any](c echo.Context, status int, v *T, appendV func([]byte, *T) []byte) error {
	if _, pretty := c.QueryParams()["pretty"]; pretty || c.Echo().Debug {
		return c.JSON(status, v) // indented: the rare, human case
	}
	bp := jsonBufs.Get().(*[]byte)
	b := appendV((*bp)[:0], v)
	b = append(b, '\n')
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	res.Status = status
	_, err := res.Write(b)
	if cap(b) <= 1<<20 {
		*bp = b
		jsonBufs.Put(bp)
	}
	return err
}

func appendOrderList(b []byte, l *OrderList) []byte {
	b = append(b, `{"items":`...)
	if l.Items == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range l.Items {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendOrder(b, &l.Items[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"next_cursor":`...)
	if l.NextCursor == nil {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, *l.NextCursor)
	}
	b = append(b, `,"synced_until":`...)
	b = appendJSONTime(b, l.SyncedUntil)
	return append(b, '}')
}

func appendOrder(b []byte, o *OrderResponse) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONUUID(b, o.ID)
	b = append(b, `,"number":`...)
	b = appendJSONString(b, o.Number)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, string(o.Type))
	b = append(b, `,"channel":`...)
	b = appendJSONString(b, string(o.Channel))
	b = append(b, `,"priority":`...)
	b = appendJSONString(b, string(o.Priority))
	b = append(b, `,"status":`...)
	b = appendJSONString(b, string(o.Status))
	b = append(b, `,"customer_id":`...)
	b = appendJSONUUID(b, o.CustomerID)
	b = append(b, `,"asset_id":`...)
	b = appendJSONUUIDPtr(b, o.AssetID)
	b = append(b, `,"product_model_id":`...)
	b = appendJSONUUIDPtr(b, o.ProductModelID)
	b = append(b, `,"technician_id":`...)
	b = appendJSONUUIDPtr(b, o.TechnicianID)
	b = append(b, `,"provider_id":`...)
	b = appendJSONUUIDPtr(b, o.ProviderID)

	b = append(b, `,"customer":{"id":`...)
	b = appendJSONUUID(b, o.Customer.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, o.Customer.Name)
	b = append(b, `,"phone":`...)
	b = appendJSONStringPtr(b, o.Customer.Phone)
	b = append(b, `,"address":`...)
	b = appendAddress(b, o.Customer.Address)
	b = append(b, '}')

	b = append(b, `,"technician":`...)
	if t := o.Technician; t == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"id":`...)
		b = appendJSONUUID(b, t.ID)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, t.Name)
		b = append(b, `,"phone":`...)
		b = appendJSONStringPtr(b, t.Phone)
		b = append(b, '}')
	}
	b = append(b, `,"asset":`...)
	if a := o.Asset; a == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"id":`...)
		b = appendJSONUUID(b, a.ID)
		b = append(b, `,"serial_number":`...)
		b = appendJSONString(b, a.SerialNumber)
		b = append(b, `,"product_model":`...)
		b = appendModelRef(b, &a.ProductModel)
		b = append(b, '}')
	}
	b = append(b, `,"product_model":`...)
	if o.ProductModel == nil {
		b = append(b, "null"...)
	} else {
		b = appendModelRef(b, o.ProductModel)
	}
	b = append(b, `,"region":`...)
	b = appendJSONString(b, o.Region)
	b = append(b, `,"time_zone":`...)
	b = appendJSONString(b, o.TimeZone)
	b = append(b, `,"address":`...)
	b = appendAddress(b, o.Address)
	b = append(b, `,"description":`...)
	b = appendJSONString(b, o.Description)
	b = append(b, `,"preferred_windows":`...)
	if o.PreferredWindows == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range o.PreferredWindows {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendWindow(b, &o.PreferredWindows[i])
		}
		b = append(b, ']')
	}

	b = append(b, `,"warranty":{"in_warranty":`...)
	b = strconv.AppendBool(b, o.Warranty.InWarranty)
	b = append(b, `,"ends_at":`...)
	b = appendJSONStringPtr(b, o.Warranty.EndsAt)
	b = append(b, '}')

	b = append(b, `,"sla":{"first_response_due":`...)
	b = appendJSONTime(b, o.SLA.FirstResponseDue)
	b = append(b, `,"on_site_due":`...)
	b = appendJSONTimePtr(b, o.SLA.OnSiteDue)
	b = append(b, `,"resolution_due":`...)
	b = appendJSONTime(b, o.SLA.ResolutionDue)
	b = append(b, `,"first_responded_at":`...)
	b = appendJSONTimePtr(b, o.SLA.FirstRespondedAt)
	b = append(b, `,"breached":`...)
	if o.SLA.Breached == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, m := range o.SLA.Breached {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, string(m))
		}
		b = append(b, ']')
	}
	b = append(b, '}')

	b = append(b, `,"appointment":`...)
	if o.Appointment == nil {
		b = append(b, "null"...)
	} else {
		b = appendWindow(b, o.Appointment)
	}
	b = append(b, `,"arrived_at":`...)
	b = appendJSONTimePtr(b, o.ArrivedAt)

	b = append(b, `,"quote":{"items":`...)
	if o.Quote.Items == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range o.Quote.Items {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuoteItem(b, &o.Quote.Items[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"status":`...)
	b = appendJSONString(b, string(o.Quote.Status))
	b = append(b, `,"total":`...)
	b = strconv.AppendInt(b, o.Quote.Total, 10)
	b = append(b, '}')

	ch := &o.Charges
	b = append(b, `,"charges":{"parts":`...)
	b = strconv.AppendInt(b, ch.Parts, 10)
	b = append(b, `,"labour":`...)
	b = strconv.AppendInt(b, ch.Labour, 10)
	b = append(b, `,"fees":`...)
	b = strconv.AppendInt(b, ch.Fees, 10)
	b = append(b, `,"covered":`...)
	b = strconv.AppendInt(b, ch.Covered, 10)
	b = append(b, `,"amount_due":`...)
	b = strconv.AppendInt(b, ch.AmountDue, 10)
	b = append(b, `,"currency":`...)
	b = appendJSONString(b, string(ch.Currency))
	b = append(b, '}')

	b = append(b, `,"parts_used":`...)
	if o.PartsUsed == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range o.PartsUsed {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendOrderPart(b, &o.PartsUsed[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"fixed":`...)
	if o.Fixed == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendBool(b, *o.Fixed)
	}
	b = append(b, `,"resolution":`...)
	b = appendJSONString(b, o.Resolution)
	b = append(b, `,"labour_minutes":`...)
	if o.LabourMinutes == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, int64(*o.LabourMinutes), 10)
	}
	b = append(b, `,"completed_at":`...)
	b = appendJSONTimePtr(b, o.CompletedAt)
	b = append(b, `,"follow_up_due_at":`...)
	b = appendJSONTimePtr(b, o.FollowUpDueAt)
	b = append(b, `,"closed_at":`...)
	b = appendJSONTimePtr(b, o.ClosedAt)
	b = append(b, `,"cancel_reason":`...)
	b = appendJSONString(b, o.CancelReason)
	b = append(b, `,"visit_count":`...)
	b = strconv.AppendInt(b, int64(o.VisitCount), 10)
	b = append(b, `,"repeat_repair":`...)
	b = strconv.AppendBool(b, o.RepeatRepair)
	b = append(b, `,"external_ref":`...)
	b = appendJSONString(b, o.ExternalRef)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(o.Version), 10)
	b = append(b, `,"allowed_actions":`...)
	if o.AllowedActions == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, a := range o.AllowedActions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, string(a))
		}
		b = append(b, ']')
	}
	b = append(b, `,"created_at":`...)
	b = appendJSONTime(b, o.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = appendJSONTime(b, o.UpdatedAt)
	return append(b, '}')
}

func appendModelRef(b []byte, m *ProductModelRef) []byte {
	b = append(b, `{"id":`...)
	b = appendJSONUUID(b, m.ID)
	b = append(b, `,"brand":`...)
	b = appendJSONString(b, m.Brand)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, m.Name)
	return append(b, '}')
}

func appendAddress(b []byte, a *AddressDTO) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"line1":`...)
	b = appendJSONString(b, a.Line1)
	b = append(b, `,"city":`...)
	b = appendJSONString(b, a.City)
	b = append(b, `,"region":`...)
	b = appendJSONString(b, a.Region)
	if a.Lat != nil { // omitempty: a nil pointer is left out
		b = append(b, `,"lat":`...)
		b = appendJSONFloat(b, *a.Lat)
	}
	if a.Lng != nil {
		b = append(b, `,"lng":`...)
		b = appendJSONFloat(b, *a.Lng)
	}
	return append(b, '}')
}

func appendWindow(b []byte, w *WindowDTO) []byte {
	b = append(b, `{"start":`...)
	b = appendJSONTime(b, w.Start)
	b = append(b, `,"end":`...)
	b = appendJSONTime(b, w.End)
	return append(b, '}')
}

func appendQuoteItem(b []byte, q *QuoteItemDTO) []byte {
	b = append(b, `{"kind":`...)
	b = appendJSONString(b, string(q.Kind))
	b = append(b, `,"part_id":`...)
	b = appendJSONStringPtr(b, q.PartID)
	b = append(b, `,"description":`...)
	b = appendJSONString(b, q.Description)
	b = append(b, `,"qty":`...)
	b = strconv.AppendInt(b, q.Qty, 10)
	b = append(b, `,"unit_price":`...)
	b = strconv.AppendInt(b, q.UnitPrice, 10)
	b = append(b, `,"covered":`...)
	b = strconv.AppendBool(b, q.Covered)
	b = append(b, `,"amount":`...)
	b = strconv.AppendInt(b, q.Amount, 10)
	return append(b, '}')
}

func appendOrderPart(b []byte, p *OrderPartDTO) []byte {
	b = append(b, `{"kind":`...)
	b = appendJSONString(b, p.Kind)
	b = append(b, `,"part_id":`...)
	b = appendJSONUUID(b, p.PartID)
	b = append(b, `,"sku":`...)
	b = appendJSONString(b, p.SKU)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, p.Name)
	b = append(b, `,"qty":`...)
	b = strconv.AppendInt(b, p.Qty, 10)
	b = append(b, `,"serials":`...)
	if p.Serials == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, s := range p.Serials {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		b = append(b, ']')
	}
	b = append(b, `,"unit_price":`...)
	b = strconv.AppendInt(b, p.UnitPrice, 10)
	b = append(b, `,"covered":`...)
	b = strconv.AppendBool(b, p.Covered)
	b = append(b, `,"amount":`...)
	b = strconv.AppendInt(b, p.Amount, 10)
	b = append(b, `,"at":`...)
	b = appendJSONTime(b, p.At)
	return append(b, '}')
}

// appendJSONTime is time.Time's MarshalJSON (RFC 3339 with nanoseconds,
// trailing zeros dropped) without its allocation.
func appendJSONTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendJSONTimePtr(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return appendJSONTime(b, *t)
}

// appendJSONUUID is uuid.UUID's MarshalText, quoted.
func appendJSONUUID(b []byte, id uuid.UUID) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i, x := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hex[x>>4], hex[x&0x0f])
	}
	return append(b, '"')
}

func appendJSONUUIDPtr(b []byte, id *uuid.UUID) []byte {
	if id == nil {
		return append(b, "null"...)
	}
	return appendJSONUUID(b, *id)
}

func appendJSONStringPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

// appendJSONFloat formats a float64 as encoding/json does: the shortest
// representation, in exponent form below 1e-6 and from 1e21, with a
// one-digit negative exponent written without its leading zero (1e-7).
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONString quotes s as encoding/json does with HTML escaping on
// (echo's serializer): ", \ and control characters escaped (\b \f \n \r \t
// by name, the rest as \u00XX), <, > and & as \u003c, \u003e, \u0026,
// U+2028 and U+2029 as \u2028 and \u2029, and invalid UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0x0f])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0x0f])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
