package apitest

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/textproto"
)

// FilePart is the file of a multipart form: its field name, file name,
// declared Content-Type ("" sends none) and bytes.
type FilePart struct {
	Field, Filename, ContentType string
	Data                         []byte
}

// Form sends a multipart/form-data request: the text fields first (in the
// order given, name/value pairs), then the file (if Field is set). The
// exchange is checked against the document like Do's.
func (e *Env) Form(method, path, token string, fields []string, file FilePart, headers ...string) Response {
	e.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := mw.WriteField(fields[i], fields[i+1]); err != nil {
			e.T.Fatalf("apitest: form: %v", err)
		}
	}
	if file.Field != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="`+file.Field+`"; filename="`+file.Filename+`"`)
		if file.ContentType != "" {
			h.Set("Content-Type", file.ContentType)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			e.T.Fatalf("apitest: form: %v", err)
		}
		w.Write(file.Data)
	}
	mw.Close()
	sent := buf.Bytes()
	req, err := http.NewRequest(method, e.URL+path, bytes.NewReader(sent))
	if err != nil {
		e.T.Fatalf("apitest: %v", err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return e.send(req, sent)
}
