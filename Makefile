# keptn-conformance: the conformance suite for the Keptn API gateway, and its reference gateway.
SHELL := /bin/bash
GO ?= go
REDOCLY_VERSION := 2.77.0

# The suite as one static binary; conformance, certify and e2e build it once and run it.
KEPTN_CONFORMANCE := bin/keptn-conformance
COMMIT = $(shell git rev-parse HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo +modified)
# Parallel processes of the conformance suite (its specs mostly wait on HTTP): 4 against an
# installation; 6 on the embedded target (conformance, bench), where the gateway runs in process and
# two processes spend a run's first seconds in deliberate waits (a session's expiry, the login
# throttle's backoff): on two cores 4.5 s instead of 5.5 s (README, Timing). PROCS=N sets both.
PROCS_DEFAULT = 4
conformance bench: PROCS_DEFAULT = 6
PROCS ?= $(PROCS_DEFAULT)
ARTIFACTS ?= $(CURDIR)/_artifacts
SUITE_FLAGS = --procs=$(PROCS) --randomize-all --poll-progress-after=60s $(if $(LABELS),--label-filter='$(LABELS)') $(if $(LAYOUT),--layout=$(LAYOUT))

.PHONY: test lint vet run-gateway keptn-conformance conformance conformance-doc certify certify-nginx-local e2e bench bench-dredd mutation
test: vet ## Run the project's tests (what CI runs)
	$(GO) test -count=1 -timeout=30m ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

lint: ## Lint the OpenAPI documents with Redocly CLI (needs npm)
	npx --yes @redocly/cli@$(REDOCLY_VERSION) lint --config redocly.yaml specs/*.yaml

run-gateway: ## Run the reference gateway all-in-one on loopback (data in _artifacts/gateway-data)
	$(GO) run ./cmd/keptn-gateway serve --data-dir _artifacts/gateway-data $(ARGS)

keptn-conformance: ## Build the suite as one static binary: bin/keptn-conformance (runs without Go or a checkout)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-X main.commit=$(COMMIT)' -o $(KEPTN_CONFORMANCE) ./cmd/keptn-conformance

conformance: keptn-conformance ## Certify the reference gateway (embedded target); reports in _artifacts/
	$(KEPTN_CONFORMANCE) $(SUITE_FLAGS) --target=embedded --artifacts=$(ARTIFACTS)

conformance-doc: ## Regenerate CONFORMANCE.md (every check, its level and source) from the suite's declarations
	$(GO) test ./conformance/report -run TestConformanceDocumentIsCurrent -update

certify: keptn-conformance ## Certify an installation: make certify ENDPOINT=http://... TOKEN=... [HTTPS_ENDPOINT=... CA_FILE=... INSECURE=true]
	@test -n "$(ENDPOINT)$(HTTPS_ENDPOINT)" || { echo "make certify needs ENDPOINT=<gateway base URL> (and TOKEN=<API token>)"; exit 2; }
	@test -n "$(TOKEN)" || { echo "make certify needs TOKEN=<API token>"; exit 2; }
	KEPTN_CONFORMANCE_TOKEN='$(TOKEN)' $(KEPTN_CONFORMANCE) $(SUITE_FLAGS) --target=external --artifacts=$(ARTIFACTS) \
		--endpoint='$(ENDPOINT)' $(if $(HTTPS_ENDPOINT),--https-endpoint='$(HTTPS_ENDPOINT)') $(if $(CA_FILE),--ca-file='$(CA_FILE)') \
		$(if $(INSECURE),--insecure=$(INSECURE)) $(CERTIFY_FLAGS)

certify-nginx-local: ## Certify the nginx gateway (fixtures/nginx) on loopback before the reference roles, no cluster; reports in _artifacts/nginx-local
	bash scripts/certify-nginx-local.sh

e2e: keptn-conformance ## The kind path: make a cluster, install the gateway, run every profile, delete it (KEEP_CLUSTER=1 keeps it)
	bash scripts/e2e.sh

bench: keptn-conformance ## Time full embedded runs of bin/keptn-conformance (RUNS=3 PROCS=6 LABELS=...): suite time, wall time, overhead, checks/s
	KEPTN_CONFORMANCE=$(KEPTN_CONFORMANCE) PROCS=$(PROCS) bash scripts/bench-conformance.sh

bench-dredd: keptn-conformance ## Core checks/s of keptn-conformance against Dredd 14.1.0's on one gateway (installs Dredd from npm into _artifacts/; not in CI)
	KEPTN_CONFORMANCE=$(KEPTN_CONFORMANCE) bash scripts/bench-dredd.sh

mutation: ## Mutation testing: the suite against mutants of gateway/ (MUTATION_SAMPLE=40 MUTATION_SEED=1 MUTATION_JOBS=2 MUTATION_TIMEOUT=0 PROCS=4); report in _artifacts/mutation/
	$(GO) run ./cmd/keptn-mutate -procs=$(PROCS) -out=$(ARTIFACTS)/mutation $(MUTATION_FLAGS)
