package identity

import (
	"github.com/fieldops/fieldops/internal/platform/auth"
)

// principalCacheMax bounds the accounts one replica remembers (ttlcache).
const principalCacheMax = 50_000

// cachedPrincipal is what Current read of an account: the principal as
// stored, and whether the account is live. Current keeps it for
// SessionConfig.PrincipalTTL in a ttlcache.Cache, so the check that runs on
// every authenticated request is not a round trip every time (issue 8).
// Changes made through this Service drop the account's entry at once
// (Forget); changes made through another replica (or the `fieldops users`
// command) are seen within the TTL.
type cachedPrincipal struct {
	p    auth.Principal
	live bool
}
