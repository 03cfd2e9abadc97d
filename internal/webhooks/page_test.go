package webhooks_test

import "github.com/fieldops/fieldops/internal/platform/page"

func pageOf(n int) page.Request { return page.Request{Limit: n} }
