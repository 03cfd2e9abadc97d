package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/internal/platform/errs"
)

// validate checks DTO shape rules written as `validate` tags; field names in
// its errors are the JSON names clients sent.
var validate = func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}()

// bindJSON decodes the request body strictly into dst (another Content-Type
// than application/json is 415, unknown fields and trailing data are 400) and
// validates it (422 naming each field).
func bindJSON(c echo.Context, dst any) error {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		// exactly what the document declares: application/json (any parameters)
		if err != nil || mt != "application/json" {
			return &errs.Error{Kind: errs.UnsupportedMedia, Message: "the body must be application/json"}
		}
	}
	// the body is read whole (the body limit bounds it) so its raw bytes can
	// be checked: encoding/json would turn invalid UTF-8 into U+FFFD silently
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return decodeError(err)
	}
	if !utf8.Valid(body) {
		if field := invalidUTF8(body); field != "" {
			return errs.Field(field, "must be valid UTF-8 text")
		} // else: outside any string, a syntax error (400) below
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		// the body limit can strike after a complete value (echo's BodyLimit
		// on a chunked body reports it as its own 413 HTTPError)
		var mbe *http.MaxBytesError
		var he *echo.HTTPError
		if errors.As(err, &mbe) || (errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge) {
			return decodeError(err)
		}
		return errs.E(errs.BadRequest, "the body has data after the JSON value")
	}
	return validateStruct(dst)
}

func decodeError(err error) error {
	var (
		syn     *json.SyntaxError
		typ     *json.UnmarshalTypeError
		mbe     *http.MaxBytesError
		echoErr *echo.HTTPError
	)
	switch {
	case errors.As(err, &mbe):
		return errs.E(errs.TooLarge, "the body is larger than %d bytes", mbe.Limit)
	case errors.As(err, &echoErr):
		return echoErr
	case errors.Is(err, io.EOF):
		return errs.E(errs.BadRequest, "the body is empty; a JSON object is required")
	case errors.As(err, &syn):
		return errs.E(errs.BadRequest, "the body is not valid JSON (at byte %d)", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return &errs.Error{Kind: errs.BadRequest, Message: "a field has the wrong JSON type",
			Fields: []errs.FieldError{{Field: field, Message: "must be a JSON " + jsonType(typ.Type)}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &errs.Error{Kind: errs.BadRequest, Message: "the body has a field this endpoint does not know",
			Fields: []errs.FieldError{{Field: name, Message: "is not a known field"}}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.BadRequest, "the body ends in the middle of a JSON value")
	}
	return &errs.Error{Kind: errs.BadRequest, Message: "the body could not be read as JSON", Err: err}
}

func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		if t.String() == "uuid.UUID" {
			return "string (UUID)"
		}
		return "object"
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint32, reflect.Float64:
		return "number"
	}
	return t.String()
}

// validateStruct runs the `validate` tags and reports every failing field.
func validateStruct(v any) error {
	if field := nulString(reflect.ValueOf(v), ""); field != "" {
		// PostgreSQL text cannot hold NUL; refuse it here rather than fail later with a 500
		return errs.Field(field, "must not contain the NUL character")
	}
	err := validate.Struct(v)
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return nil
	}
	fe := make([]errs.FieldError, 0, len(ves))
	for _, e := range ves {
		fe = append(fe, errs.FieldError{Field: fieldPath(e), Message: message(e)})
	}
	return errs.Fields(fe)
}

// fieldPath drops the struct name: "createAssetRequest.address.lat" → "address.lat".
func fieldPath(e validator.FieldError) string {
	ns := e.Namespace()
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return e.Field()
}

func message(e validator.FieldError) string {
	switch e.Tag() {
	case "required":
		return "is required"
	case "email":
		return "is not an e-mail address"
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(e.Param(), " ", ", ")
	case "min":
		if e.Kind() == reflect.String || e.Kind() == reflect.Slice {
			return "must have at least " + e.Param() + " characters or entries"
		}
		return "must be at least " + e.Param()
	case "max":
		if e.Kind() == reflect.String || e.Kind() == reflect.Slice {
			return "must have at most " + e.Param() + " characters or entries"
		}
		return "must be at most " + e.Param()
	case "gte":
		return "must be at least " + e.Param()
	case "lte":
		return "must be at most " + e.Param()
	case "datetime":
		return "must be a date like " + e.Param()
	case "uuid":
		return "must be a UUID"
	case "required_with":
		return "is required together with " + strings.ToLower(e.Param())
	}
	return "is invalid (" + e.Tag() + ")"
}

// jsonEncode writes v as JSON without HTML escaping.
func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// nulString returns the JSON path of the first string in v that contains a
// NUL character ("" when none does).
func nulString(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ""
		}
		return nulString(v.Elem(), path)
	case reflect.String:
		if strings.ContainsRune(v.String(), 0) {
			return path
		}
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if path != "" {
				name = path + "." + name
			}
			if p := nulString(v.Field(i), name); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p := nulString(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if p := nulString(v.MapIndex(k), path+"."+fmt.Sprint(k)); p != "" {
				return p
			}
		}
	}
	return ""
}

// invalidUTF8 returns the JSON path of the first string of body (a member
// name or a value) whose raw bytes are not valid UTF-8: "body" for a
// top-level string, "" when there is none (or body is not JSON).
func invalidUTF8(body []byte) string {
	type level struct {
		object  bool
		key     string // object: the current member
		index   int    // array: the current element
		wantKey bool   // object: the next token is a member name
	}
	var stack []*level
	path := func() string {
		var b strings.Builder
		for _, l := range stack {
			if !l.object {
				fmt.Fprintf(&b, "[%d]", l.index)
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(l.key)
		}
		return b.String()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		raw := body[start:dec.InputOffset()] // the token and the separators before it
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			continue
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.wantKey {
			top.key, top.wantKey = fmt.Sprint(tok), false
			if !utf8.Valid(raw) {
				return path()
			}
			continue
		}
		if top != nil { // a value: the member's, or the next element
			if top.object {
				top.wantKey = true
			} else {
				top.index++
			}
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &level{object: d == '{', index: -1, wantKey: d == '{'})
			continue
		}
		if !utf8.Valid(raw) {
			if p := path(); p != "" {
				return p
			}
			return "body"
		}
	}
}
