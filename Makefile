# vmkfabric.vsphere — developer entry points. `make demo` and `make test` are all a new
# machine needs: both create .venv from the pinned requirement files first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest / ansible-playbook import the collection from a symlink under here.
LINKROOT := $(VENV)/collections
export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(LINKROOT)
export PYTHONPATH := $(LINKROOT)
PYTEST := $(BIN)/pytest -p no:cacheprovider
JOBS ?= 2

.PHONY: help venv test sanity units simulator functional lint demo bench clean molecule

help:
	@echo "make demo   - start the simulator with a 4-host cluster and show the fabric"
	@echo "make test   - sanity, unit, simulator, functional and molecule tests, lint"
	@echo "make bench  - performance comparison (not part of make test)"

venv: $(STAMP)

$(STAMP): requirements.txt test-requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r test-requirements.txt
	@mkdir -p $(LINKROOT)/ansible_collections/vmkfabric
	@ln -sfn $(CURDIR) $(LINKROOT)/ansible_collections/vmkfabric/vsphere
	@touch $@

test: venv sanity units simulator functional molecule lint
	@echo "make test: all suites passed"

# ansible-test needs a real (copied) collection tree and an offline pip bootstrap script.
sanity: venv
	@pipver=$$(grep -oP "pip='\K[0-9.]+" $(VENV)/lib/python3.11/site-packages/ansible_test/_internal/python_requirements.py); \
	  mkdir -p $$HOME/.ansible/test/cache; \
	  cp tests/utils/get_pip_standin.py $$HOME/.ansible/test/cache/get_pip_$${pipver//./_}.py
	@stage=$$(mktemp -d); trap 'rm -rf "$$stage"' EXIT; \
	  target=$$(tests/utils/stage.sh "$$stage"); \
	  cd "$$target" && ansible-test sanity --venv --python 3.11 --color no

units: venv
	$(PYTEST) -q -n $(JOBS) tests/unit --ignore=tests/unit/simulator

simulator: venv
	$(PYTEST) -q -n $(JOBS) tests/unit/simulator

functional: venv
	@if [ -d tests/functional ]; then $(PYTEST) -q -n $(JOBS) tests/functional; else echo "no functional tests yet"; fi

# Molecule: the scenarios of extensions/molecule/ (one per role, per_host, refused), each with its own
# simulator, $(JOBS) at a time; a failing scenario's log is printed.
# per_host (the slowest) first.
MOLECULE_SCENARIOS := per_host $(filter-out per_host,$(sort $(patsubst extensions/molecule/%/molecule.yml,%,$(wildcard extensions/molecule/*/molecule.yml))))
molecule: venv
	@logs=$$(mktemp -d); trap 'rm -rf "$$logs"' EXIT; start=$$(date +%s); \
	  printf '%s\n' $(MOLECULE_SCENARIOS) | xargs -P $(JOBS) -I{} sh -c \
	    'if NO_COLOR=1 $(BIN)/molecule test -s {} --no-command-borders > "$$0/{}.log" 2>&1; then echo "molecule {}: passed"; \
	     else cat "$$0/{}.log"; echo "molecule {}: FAILED"; exit 1; fi' "$$logs"; \
	  echo "make molecule: $(words $(MOLECULE_SCENARIOS)) scenarios in $$(( $$(date +%s) - start )) s"

lint: venv
	$(BIN)/ruff check plugins tests
	$(BIN)/ansible-lint --offline --nocolor playbooks roles extensions examples
	$(BIN)/antsibull-changelog lint

demo: venv
	$(BIN)/python tests/utils/demo.py

bench: venv
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/bench_converge.py --out benchmarks/results/latest.json

clean:
	rm -rf $(VENV) tests/output .demo
