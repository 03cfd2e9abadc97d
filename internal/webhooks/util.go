package webhooks

import (
	"encoding/json"
	"strconv"
)

func itoa(i int) string { return strconv.Itoa(i) }

func marshalObject(v any) ([]byte, error) { return json.Marshal(v) }
