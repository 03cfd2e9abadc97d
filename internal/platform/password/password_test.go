package password_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fieldops/fieldops/internal/platform/password"
)

// cheap keeps the tests fast; the format and the checks do not depend on cost.
var cheap = password.Params{MemoryKiB: 64, Time: 1, Threads: 1}

func mustHash(t *testing.T, h *password.Hasher, pw string) string {
	t.Helper()
	hash, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatalf("Hash(%q): %v", pw, err)
	}
	return hash
}

func TestHashAndCheck(t *testing.T) {
	h := password.NewHasher(cheap)
	const pw = "correct horse battery staple"
	hash := mustHash(t, h, pw)

	t.Run("the hash is a PHC argon2id string that does not contain the password", func(t *testing.T) {
		if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Errorf("hash = %q, want the $argon2id$v=19$m=64,t=1,p=1$ prefix", hash)
		}
		if strings.Contains(hash, pw) {
			t.Errorf("hash %q contains the password", hash)
		}
		if n := len(strings.Split(hash, "$")); n != 6 {
			t.Errorf("hash %q has %d $-separated parts, want 6", hash, n)
		}
	})

	tests := []struct {
		name, candidate string
		want            bool
	}{
		{"the right password matches", pw, true},
		{"a wrong password does not match", "correct horse battery stapler", false},
		{"a prefix of the password does not match", "correct horse", false},
		{"the password in another case does not match", strings.ToUpper(pw), false},
		{"an empty password does not match", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := h.Check(context.Background(), hash, tc.candidate)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if ok != tc.want {
				t.Errorf("Check(hash, %q) = %v, want %v", tc.candidate, ok, tc.want)
			}
		})
	}
}

func TestTwoHashesOfOnePasswordDiffer(t *testing.T) {
	h := password.NewHasher(cheap)
	a, b := mustHash(t, h, "same password"), mustHash(t, h, "same password")
	if a == b {
		t.Fatalf("two hashes of the same password are equal (%q): the salt is not random", a)
	}
	saltOf := func(s string) string { return strings.Split(s, "$")[4] }
	if saltOf(a) == saltOf(b) {
		t.Errorf("two hashes share the salt %q", saltOf(a))
	}
	for _, hash := range []string{a, b} {
		if ok, err := h.Check(context.Background(), hash, "same password"); err != nil || !ok {
			t.Errorf("Check(%q) = %v, %v; want true, nil", hash, ok, err)
		}
	}
}

func TestHashMadeWithOtherParamsStillChecks(t *testing.T) {
	old := password.NewHasher(password.Params{MemoryKiB: 32, Time: 1, Threads: 2})
	current := password.NewHasher(password.Params{MemoryKiB: 128, Time: 3, Threads: 1})
	hash := mustHash(t, old, "rotate me please")
	if !strings.Contains(hash, "$m=32,t=1,p=2$") {
		t.Fatalf("hash %q does not record the parameters it was made with", hash)
	}
	if ok, err := current.Check(context.Background(), hash, "rotate me please"); err != nil || !ok {
		t.Errorf("Check with other parameters = %v, %v; want true, nil", ok, err)
	}
	if ok, err := current.Check(context.Background(), hash, "rotate me later"); err != nil || ok {
		t.Errorf("Check of a wrong password with other parameters = %v, %v; want false, nil", ok, err)
	}
}

func TestZeroParamsTakeOWASPMinimums(t *testing.T) {
	hash := mustHash(t, password.NewHasher(password.Params{}), "defaults")
	if !strings.Contains(hash, "$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not use m=19456,t=2,p=1", hash)
	}
}

func TestGarbageHashIsAnError(t *testing.T) {
	h := password.NewHasher(cheap)
	valid := mustHash(t, h, "password1")
	parts := strings.Split(valid, "$") // "", argon2id, v=19, m=..., salt, key
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := []struct{ name, hash string }{
		{"empty string", ""},
		{"plain text", "password1"},
		{"bcrypt hash", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"another argon2 variant", with(1, "argon2i")},
		{"too few parts", strings.Join(parts[:5], "$")},
		{"unreadable parameters", with(3, "m=lots,t=1,p=1")},
		{"salt is not base64", with(4, "!!not base64!!")},
		{"key is not base64", with(5, "!!not base64!!")},
		{"empty key", with(5, "")},
		{"empty salt", with(4, "")},
		{"zero time", with(3, "m=64,t=0,p=1")},
		{"zero threads", with(3, "m=64,t=1,p=0")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var (
				ok  bool
				err error
			)
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("Check(%q) panicked: %v", tc.hash, r)
					}
				}()
				ok, err = h.Check(context.Background(), tc.hash, "password1")
			}()
			if err == nil {
				t.Errorf("Check(%q) = %v, nil; want an error", tc.hash, ok)
			}
			if ok {
				t.Errorf("Check(%q) matched a password", tc.hash)
			}
		})
	}
}
