package orders

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm/schema"
)

// TestListFieldsCoverTheOrderModel: the list statement selects and scans
// every column of the Order model, and the party columns in partySelect's
// order, so a new column cannot be silently left at its zero value.
func TestListFieldsCoverTheOrderModel(t *testing.T) {
	s, err := schema.Parse(&Order{}, &sync.Map{}, schema.NamingStrategy{})
	if err != nil {
		t.Fatal(err)
	}
	var model, listed, party []string
	for _, f := range s.Fields {
		if f.DBName != "" {
			model = append(model, f.DBName)
		}
	}
	for _, f := range listFields {
		if col, ok := strings.CutPrefix(f.column, "o."); ok {
			listed = append(listed, col)
		} else {
			party = append(party, f.column)
		}
	}
	slices.Sort(model)
	slices.Sort(listed)
	if !slices.Equal(model, listed) {
		t.Errorf("the list scans %v\nthe Order model has %v", listed, model)
	}
	var aliases []string
	for _, m := range regexp.MustCompile(`AS (\w+)`).FindAllStringSubmatch(partySelect, -1) {
		aliases = append(aliases, m[1])
	}
	if !slices.Equal(party, aliases) {
		t.Errorf("party columns scanned %v, partySelect selects %v", party, aliases)
	}
}
