# The two entry points: `make demo` (run the toolkit on the simulated Bogor network)
# and `make test` (everything CI runs). Both build their own virtual environment.
# Debian's own python3 where there is one: built with profile-guided and link-time optimisation
# and linked statically, it runs the suite's pure tests in about 20% less CPU than a python3
# built with --enable-shared and no optimisation (a pyenv build, say), and every `noc` process
# (collectors, the lab, each command) gains the same.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Bytecode is cached: every `noc` command, lab and test worker would otherwise compile the
# package again from source (the suite starts some 150 of them).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: docs demo test test-fast lint typecheck pytest system-packages clean

# The environment is built with uv (pinned, kept in $(VENV)/tools): it installs the pinned
# packages in seconds where pip takes half a minute.
UV_VERSION := 0.13.9

# Every version, transitive ones included, comes from uv.lock (`--locked` stops when the lock
# no longer matches pyproject.toml: run `.venv/tools/bin/uv lock` and commit it), each package
# checked against the lock's hashes; then the project itself, editable.
$(STAMP): pyproject.toml uv.lock
	rm -rf $(VENV)
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip install --quiet --root-user-action=ignore --disable-pip-version-check \
	  --target $(VENV)/tools uv==$(UV_VERSION)
	$(VENV)/tools/bin/uv export --quiet --locked --extra dev --no-emit-project \
	  --output-file $(VENV)/requirements.lock.txt
	$(VENV)/tools/bin/uv pip install --quiet --python $(BIN)/python --compile-bytecode \
	  --require-hashes -r $(VENV)/requirements.lock.txt
	$(VENV)/tools/bin/uv pip install --quiet --python $(BIN)/python --compile-bytecode \
	  --no-deps -e .
	touch $(STAMP)

system-packages:
	bash scripts/system-packages.sh

demo: system-packages $(STAMP)
	$(BIN)/noc demo

# docs/metrics.md's table of series, from the one definition (noc/exporter/families.py).
docs: $(STAMP)
	$(BIN)/python -c "from noc.exporter.families import main; main(['--write'])"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The suite on parallel workers, then what measures time or CPU on a quiet machine.
pytest: $(STAMP)
	$(BIN)/pytest -m "not serial"
	$(BIN)/pytest -m serial -n 0

# mypy checks beside the parallel part of the suite (it takes seconds the suite leaves idle);
# either failing fails the target.
test: system-packages lint $(STAMP)
	$(BIN)/mypy & types=$$!; $(BIN)/pytest -m "not serial"; suite=$$?; \
	  wait $$types && test $$suite -eq 0
	$(BIN)/pytest -m serial -n 0

# The pure tests alone (no lab, no store, no browser): seconds, for the edit-test loop.
test-fast: $(STAMP)
	$(BIN)/pytest tests/unit -n 2 --durations=5

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
