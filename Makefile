# Two entry points for a fresh machine: `make demo` (API with seeds ingested) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo serve test test-postgres lint bench-retrieval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first and pinned: this CPU wheel is the tested one; a looser spec pulls a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# Apertium's Ukrainian-Russian pair (Debian packages) for reading Ukrainian: installed when root with apt, else a note.
	.ci/apertium
	# The default encoder backend is ONNX int8: export and quantise the packaged model once, here, not at first start.
	$(BIN)/python -m embeddings.onnx export
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/crosscheck ingest seeds/
	@echo "crosscheck: Swagger UI at http://$(HOST):$(PORT)/docs"
	$(BIN)/crosscheck serve --host $(HOST) --port $(PORT)

serve: $(STAMP)
	$(BIN)/crosscheck serve --host $(HOST) --port $(PORT)

# SQLite first; then, when CROSSCHECK_TEST_DATABASE_URL names a PostgreSQL database (.ci/run sets it), the
# whole suite again on PostgreSQL (a fresh schema per test). `make test-postgres` starts a throwaway cluster.
# The SQLite pass runs from a copy of the checkout with nothing beside it (.ci/copy-alone): no ../shared, no data/.
test: $(STAMP)
	@copy=$$(.ci/copy-alone) && echo "== the suite on SQLite, from a copy with nothing beside it: $$copy" && \
	cd $$copy && env -u CROSSCHECK_TEST_DATABASE_URL $(abspath $(BIN))/python -m pytest -q; \
	status=$$?; [ -z "$$copy" ] || rm -rf "$$(dirname "$$copy")"; exit $$status
	@if [ -n "$$CROSSCHECK_TEST_DATABASE_URL" ]; then \
		echo "== the same suite on PostgreSQL"; \
		$(BIN)/python -m pytest -q; \
	else \
		echo "(PostgreSQL pass skipped: set CROSSCHECK_TEST_DATABASE_URL, or run make test-postgres)"; \
	fi

PG_DIR ?= /tmp/crosscheck-test-pg
PG_PORT ?= 5433
test-postgres: $(STAMP)
	url=$$(.ci/postgres start $(PG_DIR) $(PG_PORT)) && \
	CROSSCHECK_TEST_DATABASE_URL=$$url $(BIN)/python -m pytest -q; \
	status=$$?; .ci/postgres stop $(PG_DIR); exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
