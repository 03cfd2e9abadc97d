package clients

// cacheMax bounds the clients one replica remembers in Current's
// ttlcache.Cache: a client's request is not an extra round trip every time
// (issue 8's budget: GET one round trip with authentication). Delete through
// this replica drops the entry at once; other replicas see a deletion within
// the TTL — the same design as identity's principal cache.
const cacheMax = 10_000
