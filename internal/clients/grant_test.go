package clients_test

import (
	"testing"

	"github.com/fieldops/fieldops/internal/clients"
)

func TestGrant(t *testing.T) {
	c := clients.Client{Scopes: []string{"orders:read", "orders:write"}}
	for _, tc := range []struct {
		requested, want string
		ok              bool
	}{
		{"", "orders:read orders:write", true},
		{"   ", "orders:read orders:write", true},
		{"orders:write", "orders:write", true},
		{"orders:write  orders:read orders:write", "orders:write orders:read", true},
		{"orders:read reports:read", "", false},
		{"ORDERS:READ", "", false},
		{"admin", "", false},
	} {
		got, ok := clients.Grant(c, tc.requested)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Grant(%q) = %q, %t; want %q, %t", tc.requested, got, ok, tc.want, tc.ok)
		}
	}
}
