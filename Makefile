# keptn-conformance: the conformance suite for the Keptn API gateway, and its reference gateway.
SHELL := /bin/bash
GO ?= go
REDOCLY_VERSION := 2.77.0

.PHONY: test lint vet run-gateway
test: vet ## Run the project's tests (what CI runs)
	$(GO) test -count=1 ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

lint: ## Lint the OpenAPI documents with Redocly CLI (needs npm)
	npx --yes @redocly/cli@$(REDOCLY_VERSION) lint --config redocly.yaml specs/*.yaml

run-gateway: ## Run the reference gateway all-in-one on loopback (data in _artifacts/gateway-data)
	$(GO) run ./cmd/keptn-gateway serve --data-dir _artifacts/gateway-data $(ARGS)
