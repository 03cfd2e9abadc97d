# FieldOps — the two commands are `make run` and `make test`.
SHELL := /bin/bash
GO    ?= go
DEVDB := scripts/devdb.sh
# The Go client generated from openapi/openapi.json for the contract tests (api/clienttest).
CLIENTGEN := $(GO) tool oapi-codegen -config api/clienttest/oapi-codegen.yaml openapi/openapi.json
# What `make openapi` writes; openapi-check wants it committed and fresh.
GENERATED := openapi/ api/clienttest/client.gen.go

.PHONY: run test build vet bench bench-10k openapi openapi-check spectral db-start db-stop db-url

## run: provision a local PostgreSQL when DATABASE_URL is unset, migrate, seed demo data, serve on :8080
run:
	@set -e; if [ -z "$${DATABASE_URL:-}" ]; then url=$$($(DEVDB) start); export DATABASE_URL="$$url"; fi; \
	export FIELDOPS_DEV="$${FIELDOPS_DEV:-true}"; \
	$(GO) build -o bin/fieldops ./cmd/fieldops; \
	exec ./bin/fieldops serve --migrate --seed

## test: same provisioning, then the whole suite against a real database (fresh database per package);
## the generated client (api/clienttest) is regenerated first, so it always compiles from the committed document
test:
	@$(CLIENTGEN)
	@scripts/testdeps.sh
	@set -e; if [ -z "$${DATABASE_URL:-}" ]; then url=$$($(DEVDB) start); export DATABASE_URL="$$url"; fi; \
	$(GO) test -count=1 ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/fieldops ./cmd/fieldops

vet:
	$(GO) vet ./...

## bench: the load benchmark of issue 8 (tools/bench): seeds or reuses fieldops_bench_10k / fieldops_bench_1m in the
## dev cluster, serves each with bin/fieldops on loopback and drives the hot paths at 1 and 32 clients; never part of `test`
BENCH_SIZES ?= 10k,1m
BENCH_FLAGS ?=
bench:
	@set -e; if [ -z "$${DATABASE_URL:-}" ]; then url=$$($(DEVDB) start); export DATABASE_URL="$$url"; fi; \
	$(GO) build -o bin/fieldops ./cmd/fieldops; \
	$(GO) run ./tools/bench -fieldops bin/fieldops -sizes $(BENCH_SIZES) $(BENCH_FLAGS)
## bench-10k: the same on the 10k data set only (no 1M seed; about 2 minutes)
bench-10k:
	@$(MAKE) --no-print-directory bench BENCH_SIZES=10k

## openapi: regenerate openapi/ (swag's Swagger 2 plus the OpenAPI 3 conversion) and the client generated from it
openapi:
	$(GO) tool swag init --quiet --generalInfo api/doc.go --dir ./ --output openapi --outputTypes json,yaml --parseInternal --requiredByDefault
	$(GO) run ./tools/openapi3 -in openapi/swagger.json -out openapi
	$(CLIENTGEN)

## openapi-check: fail when the committed openapi/ or generated client differs from a fresh generation
openapi-check:
	@$(MAKE) --no-print-directory openapi >/dev/null; \
	if ! git diff --quiet --exit-code -- $(GENERATED) || [ -n "$$(git ls-files --others --exclude-standard $(GENERATED))" ]; then \
	  echo "stale generated files ($(GENERATED)): run 'make openapi' and commit the result" >&2; git --no-pager diff --stat -- $(GENERATED); exit 1; fi; \
	echo "generated files ($(GENERATED)) are up to date"

## spectral: prove the ruleset's own rules bite (tools/spectral/testdata), then lint the OpenAPI 3 document with Spectral (pinned in tools/spectral)
spectral:
	cd tools/spectral && npm ci --no-audit --no-fund --loglevel=error && node test-rules.mjs && npx --no-install spectral lint --fail-severity=error ../../openapi/openapi.json

db-start:
	@$(DEVDB) start
db-stop:
	@$(DEVDB) stop
db-url:
	@$(DEVDB) url
