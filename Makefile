# dcplan developer tasks. Every target creates .venv when missing and installs
# the pinned dependencies into it, so nothing hand-installed is assumed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test demo bench bench-full golden lint clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

demo: $(STAMP)
	$(BIN)/dcplan solve scenarios/inference-platform.yaml

bench: $(STAMP)
	$(BIN)/python -m bench --quick

bench-full: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

# Rewrite the golden LP files and optima of tests/golden/lp/ (read the diff before committing).
golden: $(STAMP)
	DCPLAN_REGENERATE_GOLDEN=1 $(BIN)/python -m pytest tests/test_golden_lp.py -q
