package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/fieldops/fieldops/openapi"
)

// TestProblemTypesAreDocumented: every problem type the error handler can
// write is in the Problem.type enum, and the enum names nothing else.
func TestProblemTypesAreDocumented(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openapi.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	documented := doc.Components.Schemas["Problem"].Properties["type"].Enum
	var written []string
	for kind := range statusOf {
		written = append(written, typeOf(kind))
	}
	for _, code := range []int{http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType, http.StatusNotFound, http.StatusRequestEntityTooLarge} {
		written = append(written, toProblem(echo.NewHTTPError(code)).Type)
	}
	slices.Sort(written)
	written = slices.Compact(written)
	slices.Sort(documented)
	if !slices.Equal(written, documented) {
		t.Errorf("Problem.type enum = %v\nthe handler writes %v", documented, written)
	}
}
