package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// enumVarNames is the extension in which swag names enum constants.
const enumVarNames = "x-enum-varnames"

// tidyEnums makes each closed set one named type for generated clients:
//   - the x-enum-varnames of a component enum lose the Go prefix that repeats
//     the schema name (swag writes OrderStatusEnRoute for OrderStatus), so a
//     generator that prefixes the type itself writes OrderStatusEnRoute, not
//     OrderStatusOrderStatusEnRoute, and Kotlin/Swift get EnRoute;
//   - a parameter whose schema (or item schema) is an inline enum with exactly
//     the values of a component enum refers to that component instead, so a
//     filter takes the same type the responses carry.
func tidyEnums(doc *openapi3.T) error {
	if doc.Components == nil {
		return nil
	}
	byValues := map[string]string{} // joined values → component name
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		s := doc.Components.Schemas[name].Value
		if s == nil || len(s.Enum) == 0 {
			continue
		}
		if raw, ok := s.Extensions[enumVarNames]; ok {
			names, ok := raw.([]any)
			if !ok || len(names) != len(s.Enum) {
				return fmt.Errorf("schema %s: %s does not name each of its %d values", name, enumVarNames, len(s.Enum))
			}
			for i, n := range names {
				str, _ := n.(string)
				if short := strings.TrimPrefix(str, name); short != "" && short != str {
					names[i] = short
				}
			}
		}
		key := enumKey(s.Enum)
		if other, dup := byValues[key]; dup {
			return fmt.Errorf("schemas %s and %s are the same enum; keep one", other, name)
		}
		byValues[key] = name
	}
	if doc.Paths == nil {
		return nil
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		for _, op := range doc.Paths.Value(path).Operations() {
			for _, p := range op.Parameters {
				if p.Value == nil || p.Value.Schema == nil || p.Value.Schema.Value == nil {
					continue
				}
				s := p.Value.Schema
				if s.Value.Type.Is(openapi3.TypeArray) && s.Value.Items != nil {
					s = s.Value.Items
				}
				if s.Ref != "" || s.Value == nil || len(s.Value.Enum) == 0 {
					continue
				}
				if name, ok := byValues[enumKey(s.Value.Enum)]; ok {
					*s = *openapi3.NewSchemaRef("#/components/schemas/"+name, doc.Components.Schemas[name].Value)
				}
			}
		}
	}
	return nil
}

// enumKey identifies an enum by its values in order.
func enumKey(values []any) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("%T:%v", v, v)
	}
	return strings.Join(parts, "\x00")
}
