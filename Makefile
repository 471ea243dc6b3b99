# The two commands the README starts with: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SCAN_VENV := .venv-scan
BENCH_VENV := .venv-bench
STACKS := dev staging prod modes
SPECS := deployments

.PHONY: setup demo test check lint typecheck bench-setup clean system-deps prepare preview audit

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps -e . --config-settings editable_mode=compat
	touch $@

$(SCAN_VENV)/.installed: requirements-scan.txt
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SCAN_VENV)/bin/python -m pip install --quiet -r requirements-scan.txt
	touch $@

$(BENCH_VENV)/.installed: bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements.txt
	touch $@

setup: $(VENV)/.installed $(SCAN_VENV)/.installed

# Debian packages the tests run for real (.ci/debian-packages). As root (CI) they are installed;
# otherwise the missing ones are named with the command to install them.
DEBIAN_PACKAGES := $(shell grep -v '^\s*\#' .ci/debian-packages | grep -v '^\s*$$')
system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
		echo "missing Debian packages:$$missing" >&2; \
		echo "install them once with: sudo make system-deps   (or: sudo apt-get install$$missing)" >&2; exit 2; \
	fi

examples/artifacts/.trained: examples/train.py $(VENV)/.installed
	$(PY) examples/train.py
	touch $@

# Train the example models, validate and package them, and plan every stack offline (no cloud account needed).
demo: setup examples/artifacts/.trained
	$(VENV)/bin/slipstack validate $(SPECS)
	@for spec in $(SPECS)/*.yaml; do $(VENV)/bin/slipstack package --spec $$spec || exit $$?; done
	@for stack in $(STACKS); do $(VENV)/bin/slipstack plan --stack $$stack || exit $$?; done
	@echo "demo done: plans and Kubernetes manifests are in build/plan/<stack>/"

# The pipeline's first step (pull requests and deploys): train the examples if needed, package every model
# the stacks deploy. Training only when its output is missing, so a CI job's installed .venv is reused as is.
prepare:
	@[ -f examples/artifacts/.trained ] || { $(PY) examples/train.py && touch examples/artifacts/.trained; }
	$(VENV)/bin/slipstack prepare

# The comment a pull request gets, on your machine: head and base planned, judged by the base's policy
# configs, diffed (build/comment/comment.md, verdict.json). BASE_REF defaults to the main branch.
BASE_REF ?= $(shell git rev-parse --verify -q origin/main >/dev/null && echo origin/main || echo main)
preview: prepare
	$(VENV)/bin/slipstack preview --base-ref $(BASE_REF)

# Known vulnerabilities in what is actually installed (requirements.txt resolved with constraints.txt, the
# transitive pins included), not only the direct requirements. pip-audit runs from outside the .venv.
PIP_AUDIT ?= pip-audit
audit:
	@mkdir -p build
	$(PY) -m pip freeze --exclude-editable > build/installed-requirements.txt
	$(PIP_AUDIT) --requirement build/installed-requirements.txt --no-deps --disable-pip \
		--vulnerability-service osv --desc on --strict

# The whole test suite (what CI runs).
test: setup system-deps examples/artifacts/.trained
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy contracts deployment_spec stacks infra slipstack policies model_packaging model_server monitoring preview

check: lint typecheck test

# Benchmarks measure the speed and memory targets; each script prints its figures (see bench/README.md).
bench-setup: setup $(BENCH_VENV)/.installed examples/artifacts/.trained

clean:
	rm -rf build .pytest_cache .mypy_cache .ruff_cache examples/artifacts
