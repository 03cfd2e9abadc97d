package identity

import (
	"context"

	"github.com/google/uuid"

	"github.com/fieldops/fieldops/internal/platform/auth"
)

// Current returns who the holder of an access token for user id is now: the
// role and provider stored for them, whatever the token (issued up to its
// lifetime ago) says, so a role change, a move to another provider or a
// deactivation takes effect on the next request. live is false when the
// account is gone or deactivated. One indexed read, on the hot path of
// every authenticated request, so its answer is reused for
// SessionConfig.PrincipalTTL (ttlcache): a change made through this
// Service applies at once, one made elsewhere (another replica, the CLI)
// within the TTL.
func (s *Service) Current(ctx context.Context, id uuid.UUID) (auth.Principal, bool, error) {
	e, ok, epoch := s.principals.Get(id)
	if ok {
		return e.p, e.live, nil
	}
	p, live, err := s.st.current(ctx, id)
	if err != nil {
		return auth.Principal{}, false, err
	}
	s.principals.Put(id, cachedPrincipal{p: p, live: live}, epoch)
	return p, live, nil
}
