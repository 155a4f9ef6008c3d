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

# Compatibility runs: the oldest and newest supported ansible-core, each in its own cached venv.
COMPAT := $(CURDIR)/.venv-compat
ANSIBLE_OLDEST := 2.16.19
ANSIBLE_NEWEST := 2.21.5

.PHONY: help venv test sanity units simulator functional lint demo bench clean compat compat-oldest compat-newest \
	integration-real property molecule mypy report-screenshot

help:
	@echo "make demo   - start the simulator with a 4-host cluster, converge it, show the fabric and write its report"
	@echo "make test   - sanity, unit, simulator, functional, compat and molecule tests, lint"
	@echo "make compat - smoke set on ansible-core $(ANSIBLE_OLDEST) (Python 3.11) and $(ANSIBLE_NEWEST) (Python >= 3.12)"
	@echo "make bench  - performance comparison and targets, BENCH_HOSTS=4 (demo) or 64 (lab) (not part of make test)"
	@echo "make report-screenshot - regenerate docs/images/fabric-report.png with the browser test"
	@echo "make property - the property-based differential test with PROPERTY_EXAMPLES (200) examples"
	@echo "make integration-real - opt-in run against a lab vCenter (see README, never in CI)"

venv: $(STAMP)

$(STAMP): requirements.txt test-requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r test-requirements.txt
	@mkdir -p $(LINKROOT)/ansible_collections/vmkfabric
	@ln -sfn $(CURDIR) $(LINKROOT)/ansible_collections/vmkfabric/vsphere
	@touch $@

test: venv sanity units simulator functional compat molecule lint
	@echo "make test: all suites passed"

# ansible-test needs a real (copied) collection tree and an offline pip bootstrap script. It keeps its
# venvs and caches under $HOME/.ansible/test: HOME is a private directory here (reused between runs,
# never the user's ~/.ansible); pip keeps the user's cache.
SANITY_HOME := $(CURDIR)/.sanity-home
sanity: venv
	@export PIP_CACHE_DIR=$$($(BIN)/python -m pip cache dir) HOME=$(SANITY_HOME); \
	  pipver=$$(grep -oP "pip='\K[0-9.]+" $(VENV)/lib/python3.11/site-packages/ansible_test/_internal/python_requirements.py); \
	  mkdir -p $$HOME/.ansible/test/cache; \
	  cp tests/utils/get_pip_standin.py $$HOME/.ansible/test/cache/get_pip_$${pipver//./_}.py; \
	  stage=$$(mktemp -d); trap 'rm -rf "$$stage"' EXIT; \
	  target=$$(tests/utils/stage.sh "$$stage"); \
	  cd "$$target" && ansible-test sanity --venv --python 3.11 --color no

units: venv
	$(PYTEST) -q -n $(JOBS) tests/unit --ignore=tests/unit/simulator

simulator: venv
	$(PYTEST) -q -n $(JOBS) tests/unit/simulator

# The browser test of the fabric report (tests/functional/test_report.py) needs Chromium: chromium.sh finds it, or
# installs Debian's chromium package through apt when it is missing.
functional: venv
	@if [ -d tests/functional ]; then chromium=$$(tests/utils/chromium.sh); export VMKFABRIC_CHROMIUM=$$chromium; \
	  $(PYTEST) -q -n $(JOBS) --durations=15 tests/functional; else echo "no functional tests yet"; fi

# Regenerate docs/images/fabric-report.png (the README's picture) from a real run of the browser test.
report-screenshot: venv
	chromium=$$(tests/utils/chromium.sh); export VMKFABRIC_CHROMIUM=$$chromium VMKFABRIC_SCREENSHOT=$(CURDIR)/docs/images/fabric-report.png; \
	  $(PYTEST) -q tests/functional/test_report.py -k headless_browser

# Each compat venv holds ansible-core and the collection's declared requirements (the ranges users get);
# the smoke tests run under .venv's pytest and drive that venv's ansible-playbook. A venv is named after
# its ansible-core version and rebuilt only when that version or requirements.txt changes.
OLDEST_VENV := $(COMPAT)/core-$(ANSIBLE_OLDEST)
NEWEST_VENV := $(COMPAT)/core-$(ANSIBLE_NEWEST)

$(OLDEST_VENV)/.installed: requirements.txt
	@rm -rf $(@D) && $(PYTHON) -m venv $(@D)
	$(@D)/bin/python -m pip install --quiet ansible-core==$(ANSIBLE_OLDEST) -r requirements.txt
	@touch $@

$(NEWEST_VENV)/.installed: requirements.txt
	@py=$$(tests/utils/find_python.sh 3.12) && rm -rf $(@D) && "$$py" -m venv $(@D)
	$(@D)/bin/python -m pip install --quiet ansible-core==$(ANSIBLE_NEWEST) -r requirements.txt
	@touch $@

# $(call compat_run,VENV,ANSIBLE_CORE_VERSION)
define compat_run
	@echo "compat: $$($(1)/bin/ansible --version | sed -n 1p), $$($(1)/bin/python --version)"
	VMKFABRIC_ANSIBLE_BIN=$(1)/bin VMKFABRIC_ANSIBLE_CORE=$(2) $(PYTEST) -q tests/functional/test_smoke.py
endef

compat-oldest: venv $(OLDEST_VENV)/.installed
	$(call compat_run,$(OLDEST_VENV),$(ANSIBLE_OLDEST))

compat-newest: venv $(NEWEST_VENV)/.installed
	$(call compat_run,$(NEWEST_VENV),$(ANSIBLE_NEWEST))

compat: venv
	$(MAKE) --no-print-directory -j2 compat-oldest compat-newest

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

# Type checking of plugins/ (mypy.ini), from the directory that holds ansible_collections/.
mypy: venv
	cd $(LINKROOT) && $(BIN)/mypy --config-file $(CURDIR)/mypy.ini ansible_collections/vmkfabric/vsphere/plugins

lint: venv mypy
	$(BIN)/ruff check plugins tests
	$(BIN)/ansible-lint --offline --nocolor playbooks roles extensions examples tests/integration_real
	$(BIN)/antsibull-changelog lint

# Opt-in, against a LAB vCenter only (README: "Trying it on a lab vCenter"); never part of make test or CI.
integration-real: venv
	@if [ -n "$${CI:-}" ]; then echo "integration-real: skipped (CI is set: never run against a real vCenter from CI)"; exit 0; fi; \
	  missing=""; for var in VMWARE_HOST VMWARE_USER VMWARE_PASSWORD VMKFABRIC_LAB_HOST; do \
	    [ -n "$${!var:-}" ] || missing="$$missing $$var"; done; \
	  if [ -n "$$missing" ]; then echo "integration-real: skipped (not set:$$missing)"; exit 0; fi; \
	  $(BIN)/ansible-playbook -i playbooks/inventory/localhost.yml tests/integration_real/scratch_portgroup.yml

demo: venv
	$(BIN)/python tests/utils/demo.py

# The property-based differential test with many more examples than make test runs.
PROPERTY_EXAMPLES ?= 200
property: venv
	VMKFABRIC_PROPERTY_EXAMPLES=$(PROPERTY_EXAMPLES) $(PYTEST) -q tests/functional/test_property.py --hypothesis-show-statistics

# make bench BENCH_HOSTS=4|64 [BENCH_LATENCY_MS=20] [BENCH_ARGS="--only ours"]: benchmarks/bench_converge.py
BENCH_HOSTS ?= 4
BENCH_LATENCY_MS ?= 20
BENCH_ARGS ?=
bench: venv
	$(BIN)/python -m pip install --quiet -r benchmarks/requirements.txt
	$(BIN)/python benchmarks/bench_converge.py --hosts $(BENCH_HOSTS) --latency-ms $(BENCH_LATENCY_MS) $(BENCH_ARGS) \
	  --out benchmarks/results/latest.json

clean:
	rm -rf $(VENV) $(COMPAT) $(SANITY_HOME) tests/output .demo
