package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fieldops/fieldops/api/apitest"
	"github.com/fieldops/fieldops/internal/demo"
	"github.com/fieldops/fieldops/internal/platform/config"
)

// behindProxy trusts the loopback proxy, so tests speak from any client
// address with X-Forwarded-For.
func behindProxy(cfg *config.Config) { cfg.HTTP.TrustedProxies = []string{"127.0.0.0/8", "::1/128"} }

// loginFrom logs in from the client address ip.
func loginFrom(env *apitest.Env, login, pw, ip string) apitest.Response {
	env.T.Helper()
	return env.Do(http.MethodPost, "/v1/auth/login", "", map[string]string{"login": login, "password": pw}, "X-Forwarded-For", ip)
}

// wantRetryAfter fails unless r carries Retry-After of exactly want seconds
// (want 0: any positive number).
func wantRetryAfter(t *testing.T, r apitest.Response, want int) {
	t.Helper()
	got, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || got <= 0 || (want > 0 && got != want) {
		t.Fatalf("Retry-After = %q, want %d", r.Header.Get("Retry-After"), want)
	}
}

// Item 11: failures count per (account, address) pair. An attacker's ten
// wrong passwords lock that pair, not the owner at their own address nor
// other accounts at the attacker's.
func TestLockoutIsPerAccountAndAddress(t *testing.T) {
	env := apitest.New(t, behindProxy)
	const victim, attacker, owner = "manager@fieldops.test", "203.0.113.7", "198.51.100.2"
	for i := 1; i <= env.Config.Auth.LoginMaxFailures; i++ {
		identWantProblem(t, loginFrom(env, victim, "guess-"+strconv.Itoa(i), attacker), http.StatusUnauthorized)
	}
	r := loginFrom(env, victim, "one-more-guess", attacker)
	identWantProblem(t, r, http.StatusTooManyRequests)
	wantRetryAfter(t, r, 900)

	t.Run("the owner logs in from their own address while the attacker is throttled", func(t *testing.T) {
		identWantStatus(t, loginFrom(env, victim, demo.Password, owner), http.StatusOK)
	})
	t.Run("the attacker's address stays locked for that account, even with the right password", func(t *testing.T) {
		identWantProblem(t, loginFrom(env, victim, demo.Password, attacker), http.StatusTooManyRequests)
	})
	t.Run("other accounts at the attacker's address are unaffected", func(t *testing.T) {
		identWantStatus(t, loginFrom(env, "dispatcher@fieldops.test", demo.Password, attacker), http.StatusOK)
	})
}

// Item 11: fifty failures from one address (a NAT) do not lock anyone out of
// an account that address never failed on; the address, now "hot", gets one
// try per account it did fail on.
func TestFailuresFromOneAddressDoNotLockOutANAT(t *testing.T) {
	env := apitest.New(t, behindProxy, func(c *config.Config) { c.Auth.HashIPMax = 1000 }) // 50 checks in a minute: not the hash limit's test
	const nat = "192.0.2.50"
	if env.Config.Auth.LoginIPMaxFailures != 50 || env.Config.Auth.LoginMaxFailures != 10 {
		t.Fatalf("this test assumes the defaults 50 per address and 10 per pair")
	}
	tried := []string{"tom@fieldops.test", "nina@fieldops.test", "sam@fieldops.test", "carl@coolfix.test", "bob@example.com"}
	for _, who := range tried { // 5 × 9 = 45, below every pair's limit
		for i := range 9 {
			identWantProblem(t, loginFrom(env, who, "wrong-"+strconv.Itoa(i), nat), http.StatusUnauthorized)
		}
	}
	for i := range 5 { // 50 in all
		identWantProblem(t, loginFrom(env, "dispatcher@coolfix.test", "wrong-"+strconv.Itoa(i), nat), http.StatusUnauthorized)
	}
	t.Run("an account the address never failed on logs in from it", func(t *testing.T) {
		identWantStatus(t, loginFrom(env, "alice@example.com", demo.Password, nat), http.StatusOK)
		identWantStatus(t, loginFrom(env, "dispatcher@fieldops.test", demo.Password, nat), http.StatusOK)
	})
	t.Run("an account it failed on gets no tenth try from the hot address", func(t *testing.T) {
		identWantProblem(t, loginFrom(env, "tom@fieldops.test", "wrong-again", nat), http.StatusTooManyRequests)
	})
	t.Run("that account's owner elsewhere is unaffected", func(t *testing.T) {
		identWantStatus(t, loginFrom(env, "tom@fieldops.test", demo.Password, "198.51.100.77"), http.StatusOK)
	})
}

// Item 11: failures of one account from many addresses start an exponential
// back-off (1 min, then doubling), which the addresses the account logged in
// from are spared.
func TestAccountBackoffSparesKnownAddresses(t *testing.T) {
	env := apitest.New(t, behindProxy)
	const who, home = "alice@example.com", "198.51.100.20"
	identWantStatus(t, loginFrom(env, who, demo.Password, home), http.StatusOK) // home is now known
	limit := env.Config.Auth.LoginAccountMaxFailures
	for i := 1; i <= limit; i++ { // one guess each from many addresses: no pair reaches its limit
		identWantProblem(t, loginFrom(env, who, "guess", fmt.Sprintf("203.0.113.%d", i)), http.StatusUnauthorized)
	}
	r := loginFrom(env, who, "guess", "203.0.113.200")
	identWantProblem(t, r, http.StatusTooManyRequests)
	wantRetryAfter(t, r, 60)

	t.Run("the right password from a new address waits for the back-off", func(t *testing.T) {
		identWantProblem(t, loginFrom(env, who, demo.Password, "203.0.113.201"), http.StatusTooManyRequests)
	})
	t.Run("the right password from a known address works", func(t *testing.T) {
		identWantStatus(t, loginFrom(env, who, demo.Password, home), http.StatusOK)
	})
	t.Run("the next failure after the lock doubles it", func(t *testing.T) {
		env.Clock.Advance(61 * time.Second)
		r := loginFrom(env, who, "guess", "203.0.113.202")
		identWantProblem(t, r, http.StatusTooManyRequests)
		wantRetryAfter(t, r, 120)
	})
}

// Item 1: sign-ups are counted per client address; past the limit 429 with
// Retry-After, for the address only. This also bounds how fast one address
// can probe which e-mails are registered (item 12, docs/SECURITY.md).
func TestSignupIsThrottledPerAddress(t *testing.T) {
	env := apitest.New(t, behindProxy)
	limit := env.Config.Auth.SignupIPMax
	signUp := func(i int, ip string) apitest.Response {
		return env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{
			"name": "Probe", "email": fmt.Sprintf("probe%d@example.com", i), "password": "a-long-password"}, "X-Forwarded-For", ip)
	}
	for i := 1; i <= limit; i++ {
		identWantStatus(t, signUp(i, "203.0.113.9"), http.StatusCreated)
	}
	before := env.Count("users")
	r := signUp(0, "203.0.113.9")
	identWantProblem(t, r, http.StatusTooManyRequests)
	wantRetryAfter(t, r, 3600)
	dup := env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{
		"name": "Probe", "email": "alice@example.com", "password": "a-long-password"}, "X-Forwarded-For", "203.0.113.9")
	identWantProblem(t, dup, http.StatusTooManyRequests) // a registered e-mail cannot be probed past the limit either
	if n := env.Count("users"); n != before {
		t.Fatalf("users grew by %d past the limit", n-before)
	}
	identWantStatus(t, signUp(1000, "198.51.100.3"), http.StatusCreated)                                 // another address
	identWantStatus(t, loginFrom(env, "alice@example.com", demo.Password, "203.0.113.9"), http.StatusOK) // logins are not sign-ups
}

// Item 1: when every password-hashing slot is taken, sign-up and login
// answer 503 with Retry-After at once, without counting a failure; a freed
// slot serves them again.
func TestPasswordHashingAtCapacityIs503(t *testing.T) {
	env := apitest.New(t, func(c *config.Config) { c.Auth.HashConcurrency, c.Auth.HashWait = 2, 10*time.Millisecond })
	var releases []func()
	for range env.Config.Auth.HashConcurrency {
		release, err := env.Hasher.Reserve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	before := env.Count("users")
	r := env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{"name": "Busy", "email": "busy@example.com", "password": "a-long-password"})
	identWantProblem(t, r, http.StatusServiceUnavailable)
	wantRetryAfter(t, r, 1)
	for i := 0; i <= env.Config.Auth.LoginMaxFailures; i++ { // more than the limit: none of them counts
		r = identLogin(env, "manager@fieldops.test", "wrong-"+strconv.Itoa(i))
		identWantProblem(t, r, http.StatusServiceUnavailable)
		wantRetryAfter(t, r, 1)
	}
	if n := env.Count("users"); n != before {
		t.Fatalf("a sign-up without a hash created a user")
	}
	for _, release := range releases {
		release()
	}
	identWantStatus(t, identLogin(env, "manager@fieldops.test", demo.Password), http.StatusOK)
	identWantStatus(t, env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{"name": "Busy", "email": "busy@example.com", "password": "a-long-password"}), http.StatusCreated)
}

// Item 13: a sign-up's tokens are not kept for Idempotency-Key replays; a
// retry of a sign-up that succeeded is 409 and hands out nothing.
func TestSignupReplayHandsOutNoTokens(t *testing.T) {
	env := apitest.New(t)
	body := map[string]string{"name": "Carol", "email": "carol@example.com", "password": "a-long-password"}
	first := env.Do(http.MethodPost, "/v1/auth/register", "", body, "Idempotency-Key", "signup-1")
	identWantStatus(t, first, http.StatusCreated)
	access, refresh := identStr(first.JSON, "access_token"), identStr(first.JSON, "refresh_token")

	again := env.Do(http.MethodPost, "/v1/auth/register", "", body, "Idempotency-Key", "signup-1")
	identWantProblem(t, again, http.StatusConflict)
	if strings.Contains(string(again.Raw), access) || strings.Contains(string(again.Raw), refresh) || again.JSON["access_token"] != nil {
		t.Fatalf("the retry handed out tokens: %s", again.Raw)
	}
	var bodies []string
	if err := env.DB.Raw(`SELECT coalesce(encode(response_body, 'escape'), '') FROM idempotency_records`).Scan(&bodies).Error; err != nil {
		t.Fatal(err)
	}
	for _, b := range bodies {
		if strings.Contains(b, refresh) || strings.Contains(b, access) {
			t.Fatalf("an idempotency record keeps the sign-up's tokens: %.80s…", b)
		}
	}
	if n := env.Count("users"); n != int64(len(demo.Accounts))+1 {
		t.Fatalf("users = %d, want one sign-up", n)
	}
	t.Run("a failed sign-up still replays its problem", func(t *testing.T) {
		dup := map[string]string{"name": "Alice Again", "email": "alice@example.com", "password": "a-long-password"}
		a := env.Do(http.MethodPost, "/v1/auth/register", "", dup, "Idempotency-Key", "signup-2")
		b := env.Do(http.MethodPost, "/v1/auth/register", "", dup, "Idempotency-Key", "signup-2")
		identWantProblem(t, a, http.StatusConflict, "email")
		identWantProblem(t, b, http.StatusConflict, "email")
		if b.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatal("the failed sign-up was not replayed")
		}
	})
}

// Item 3: a manager's password reset and the user's own change revoke the
// user's refresh tokens.
func TestPasswordChangesRevokeSessions(t *testing.T) {
	env := apitest.New(t)
	refresh := func(rt string) apitest.Response {
		return env.Do(http.MethodPost, "/v1/auth/refresh", "", map[string]string{"refresh_token": rt})
	}

	t.Run("a manager's reset ends the user's sessions", func(t *testing.T) {
		old := identStr(env.Login("tom@fieldops.test", demo.Password).JSON, "refresh_token")
		mgr := env.Token("manager@fieldops.test")
		identWantStatus(t, env.Do(http.MethodPatch, "/v1/users/"+env.UserID("tom@fieldops.test"), mgr,
			map[string]any{"password": "a-reset-password"}), http.StatusOK)
		identWantProblem(t, refresh(old), http.StatusUnauthorized)
		identWantProblem(t, identLogin(env, "tom@fieldops.test", demo.Password), http.StatusUnauthorized)
		identWantStatus(t, identLogin(env, "tom@fieldops.test", "a-reset-password"), http.StatusOK)
	})

	t.Run("changing one's own password ends the other sessions and starts a new one", func(t *testing.T) {
		phone := env.Login("alice@example.com", demo.Password)
		laptop := env.Login("alice@example.com", demo.Password)
		put := func(token string, body any) apitest.Response {
			return env.Do(http.MethodPut, "/v1/me/password", token, body)
		}
		at := identStr(phone.JSON, "access_token")
		identWantProblem(t, put(at, map[string]string{"current_password": "not-it", "new_password": "a-brand-new-password"}),
			http.StatusUnprocessableEntity, "current_password")
		identWantProblem(t, put(at, map[string]string{"current_password": demo.Password, "new_password": "too-short"}),
			http.StatusUnprocessableEntity, "new_password")
		r := put(at, map[string]string{"current_password": demo.Password, "new_password": "a-brand-new-password"})
		identWantStatus(t, r, http.StatusOK)
		for _, old := range []apitest.Response{phone, laptop} {
			identWantProblem(t, refresh(identStr(old.JSON, "refresh_token")), http.StatusUnauthorized)
		}
		identWantStatus(t, refresh(identStr(r.JSON, "refresh_token")), http.StatusOK)
		identWantProblem(t, identLogin(env, "alice@example.com", demo.Password), http.StatusUnauthorized)
		identWantStatus(t, identLogin(env, "alice@example.com", "a-brand-new-password"), http.StatusOK)
	})

	t.Run("wrong current passwords are throttled", func(t *testing.T) {
		at := env.Token("bob@example.com")
		for i := 0; i < env.Config.Auth.LoginMaxFailures; i++ {
			identWantProblem(t, env.Do(http.MethodPut, "/v1/me/password", at,
				map[string]string{"current_password": "guess-" + strconv.Itoa(i), "new_password": "a-brand-new-password"}),
				http.StatusUnprocessableEntity, "current_password")
		}
		r := env.Do(http.MethodPut, "/v1/me/password", at, map[string]string{"current_password": demo.Password, "new_password": "a-brand-new-password"})
		identWantProblem(t, r, http.StatusTooManyRequests)
		wantRetryAfter(t, r, 0)
	})
}

// Item 17: passwords of at least 10 characters, not only spaces; e-mails
// NFKC-normalised and lower-cased and phones in E.164 before uniqueness and
// login, so look-alike spellings of a registered contact cannot sign up.
func TestIdentityInputIsNormalised(t *testing.T) {
	env := apitest.New(t)
	mgr := env.Token("manager@fieldops.test")
	register := func(body map[string]string) apitest.Response {
		return env.Do(http.MethodPost, "/v1/auth/register", "", body)
	}
	passwords := []struct{ name, pw string }{
		{"nine characters", "nine-char"},
		{"only spaces", "            "},
		{"only tabs and ideographic spaces", "\t\t\u3000\u3000\t\t\u3000\u3000\t\t"},
	}
	for _, p := range passwords {
		t.Run("password of "+p.name+" is refused everywhere", func(t *testing.T) {
			identWantProblem(t, register(map[string]string{"name": "Pat", "email": "pat@example.com", "password": p.pw}),
				http.StatusUnprocessableEntity, "password")
			identWantProblem(t, env.Do(http.MethodPost, "/v1/users", mgr, map[string]any{"role": "dispatcher", "name": "Pat",
				"email": "pat@fieldops.test", "password": p.pw}), http.StatusUnprocessableEntity, "password")
			identWantProblem(t, env.Do(http.MethodPatch, "/v1/users/"+env.UserID("tom@fieldops.test"), mgr,
				map[string]any{"password": p.pw}), http.StatusUnprocessableEntity, "password")
		})
	}

	lookalikes := []struct{ name, field, value string }{
		{"fullwidth e-mail", "email", "ａｌｉｃｅ@ｅｘａｍｐｌｅ.ｃｏｍ"},
		{"upper-case e-mail", "email", "ALICE@Example.COM"},
		{"e-mail with a ligature", "email", "alice@example.co\u217f"}, // ⅿ (small roman numeral one thousand) is m under NFKC
		{"phone with spaces and brackets", "phone", "+86 (138) 0013 8001"},
		{"phone in fullwidth digits", "phone", "＋８６ １３８ ００１３ ８００１"},
	}
	for _, l := range lookalikes {
		t.Run(l.name+" of a registered contact is 409", func(t *testing.T) {
			r := register(map[string]string{"name": "Mallory", l.field: l.value, "password": "a-long-password"})
			identWantProblem(t, r, http.StatusConflict, l.field)
		})
	}
	t.Run("a look-alike spelling logs in to the account", func(t *testing.T) {
		r := identLogin(env, "ａｌｉｃｅ@example.com", demo.Password)
		identWantStatus(t, r, http.StatusOK)
		if identStr(r.JSON, "user.email") != "alice@example.com" {
			t.Fatalf("logged in as %s", identStr(r.JSON, "user.email"))
		}
		identWantStatus(t, identLogin(env, "+86 138 0013 8001", demo.Password), http.StatusOK)
	})
	bad := []struct{ name, field, value string }{
		{"phone without a country code", "phone", "13800138009"},
		{"phone that is no number", "phone", "+86 12"},
		{"e-mail with a zero-width joiner", "email", "mal\u200dlory@example.com"},
	}
	for _, b := range bad {
		t.Run(b.name+" is 422", func(t *testing.T) {
			identWantProblem(t, register(map[string]string{"name": "Mallory", b.field: b.value, "password": "a-long-password"}),
				http.StatusUnprocessableEntity, b.field)
		})
	}
	t.Run("a new contact is stored normalised", func(t *testing.T) {
		r := register(map[string]string{"name": "Nora", "email": "Ｎｏｒａ@Example.com", "phone": "+44 (0)20 7946 0958", "password": "a-long-password"})
		identWantStatus(t, r, http.StatusCreated)
		if identStr(r.JSON, "user.email") != "nora@example.com" || identStr(r.JSON, "user.phone") != "+442079460958" {
			t.Fatalf("stored %s / %s", identStr(r.JSON, "user.email"), identStr(r.JSON, "user.phone"))
		}
	})
}

// Spent throttle rows are purged (housekeeping runs this hourly); rows that
// still decide something stay.
func TestPurgeThrottles(t *testing.T) {
	env := apitest.New(t, behindProxy)
	identWantProblem(t, loginFrom(env, "bob@example.com", "wrong-password", "203.0.113.5"), http.StatusUnauthorized)
	identWantStatus(t, loginFrom(env, "alice@example.com", demo.Password, "203.0.113.6"), http.StatusOK)
	identWantStatus(t, env.Do(http.MethodPost, "/v1/auth/register", "", map[string]string{
		"name": "Carol", "email": "carol@example.com", "password": "a-long-password"}), http.StatusCreated)
	rows := env.Count("login_throttles")
	if n, err := env.Identity.PurgeThrottles(context.Background()); err != nil || n != 0 {
		t.Fatalf("purge right away = %d, %v; want nothing purged", n, err)
	}
	env.Clock.Advance(2 * time.Hour) // windows over: counters go, remembered addresses stay
	n, err := env.Identity.PurgeThrottles(context.Background())
	if err != nil || n == 0 || env.Count("login_throttles") != rows-n {
		t.Fatalf("purge after the windows = %d, %v (rows %d → %d)", n, err, rows, env.Count("login_throttles"))
	}
	if env.Count("login_throttles") != 1 {
		t.Fatalf("%d rows left, want only alice's remembered address", env.Count("login_throttles"))
	}
	env.Clock.Advance(env.Config.Auth.RefreshTTL)
	if _, err := env.Identity.PurgeThrottles(context.Background()); err != nil || env.Count("login_throttles") != 0 {
		t.Fatalf("remembered address not purged after the refresh lifetime: %v", err)
	}
}
