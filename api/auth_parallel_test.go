package api_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/fieldops/fieldops/api/apitest"
)

// Attempts are counted before the password is checked, so a burst of
// parallel guesses cannot get more than the limit of tries.
func TestParallelWrongPasswordsGetNoMoreThanTheLimit(t *testing.T) {
	env := apitest.New(t)
	const n = 40
	var wg sync.WaitGroup
	start := make(chan struct{})
	statuses := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			statuses[i] = env.Do(http.MethodPost, "/v1/auth/login", "", map[string]string{"login": "manager@fieldops.test", "password": "guess-" + string(rune('a'+i%26))}).Status
		}(i)
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusUnauthorized] != env.Config.Auth.LoginMaxFailures || count[http.StatusTooManyRequests] != n-env.Config.Auth.LoginMaxFailures {
		t.Fatalf("statuses %v: want exactly %d × 401 (the limit) and the rest 429", count, env.Config.Auth.LoginMaxFailures)
	}
	// The right password is refused too while the lock holds.
	if r := env.Do(http.MethodPost, "/v1/auth/login", "", map[string]string{"login": "manager@fieldops.test", "password": "fieldops-demo"}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("right password during the lock: %d", r.Status)
	}
}
