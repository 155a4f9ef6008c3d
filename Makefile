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

.PHONY: help venv test sanity units simulator functional lint demo bench property clean

help:
	@echo "make demo   - start the simulator with a 4-host cluster and show the fabric"
	@echo "make test   - sanity, unit, simulator and functional tests, lint"
	@echo "make bench  - performance comparison (not part of make test)"
	@echo "make property - the property-based differential test with PROPERTY_EXAMPLES (200) examples"

venv: $(STAMP)

$(STAMP): requirements.txt test-requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r test-requirements.txt
	@mkdir -p $(LINKROOT)/ansible_collections/vmkfabric
	@ln -sfn $(CURDIR) $(LINKROOT)/ansible_collections/vmkfabric/vsphere
	@touch $@

test: venv sanity units simulator functional lint
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

lint: venv
	$(BIN)/ruff check plugins tests
	$(BIN)/ansible-lint --offline --nocolor playbooks
	$(BIN)/antsibull-changelog lint

demo: venv
	$(BIN)/python tests/utils/demo.py

# The property-based differential test with many more examples than make test runs.
PROPERTY_EXAMPLES ?= 200
property: venv
	VMKFABRIC_PROPERTY_EXAMPLES=$(PROPERTY_EXAMPLES) $(PYTEST) -q tests/functional/test_property.py --hypothesis-show-statistics

bench: venv
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/bench_converge.py --out benchmarks/results/latest.json

clean:
	rm -rf $(VENV) tests/output .demo
