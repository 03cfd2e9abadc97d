package apitest

// CheckSchema validates v (a decoded JSON object) against the component
// schema name of the committed OpenAPI document, as strictly as exchanges
// are checked (unknown properties, formats, required and nullable fields).
// Tests use it for bodies the API sends elsewhere than in a response, such
// as webhook payloads read from the outbox.
func CheckSchema(name string, v map[string]any) error { return checkSchema(name, v) }
