# dcplan developer tasks. Every target creates .venv when missing and installs
# the pinned dependencies into it, so nothing hand-installed is assumed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test chromium screenshots bench-reports demo bench bench-full golden calibrate sizing-docs lint clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench,ray]'
	touch $(STAMP)

# HTML reports are tested in the system's Chromium (the Debian package), never in a browser that
# Playwright downloads. CI runs as root on a clean Debian machine: install it there when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

chromium:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update && $(SUDO) apt-get install -y chromium)

# DCPLAN_BROWSER_REQUIRED: without Chromium the browser tests fail here instead of skipping.
# Two worker processes (pytest-xdist), a test file each at a time: most tests wait on a dcplan process, an
# engine or a browser, so two cores run the suite in about two thirds of the time; a file's shared fixtures
# (a Ray head, a browser, solved plans) are made once.
test: $(STAMP) chromium
	DCPLAN_BROWSER_REQUIRED=1 $(BIN)/python -m pytest -n 2 --dist loadfile

# The pictures of docs/reports.md: the browser tests save the top of each kind of report.
screenshots: $(STAMP) chromium
	DCPLAN_BROWSER_REQUIRED=1 DCPLAN_SCREENSHOT_DIR=docs/img/reports $(BIN)/python -m pytest -q tests/test_report_browser.py

demo: $(STAMP)
	$(BIN)/dcplan solve scenarios/inference-platform.yaml

bench: $(STAMP)
	$(BIN)/python -m bench --quick

bench-full: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.buildout

# Size and render time of every kind of HTML report (in Chromium), written into docs/reports.md.
bench-reports: $(STAMP) chromium
	$(BIN)/python -m bench.reports

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

# Rewrite the golden LP files and optima of tests/golden/lp/ (read the diff before committing).
golden: $(STAMP)
	DCPLAN_REGENERATE_GOLDEN=1 $(BIN)/python -m pytest tests/test_golden_lp.py -q

# Fit the serving efficiencies on the calibration part of calibration/inference.yaml, write
# dcplan/sizing/data/efficiency.yaml and the prediction table in docs/sizing.md (a few minutes).
calibrate: $(STAMP)
	$(BIN)/python -m dcplan.sizing.calibrate

# Rewrite only the prediction table in docs/sizing.md from the shipped factors.
sizing-docs: $(STAMP)
	$(BIN)/python -m dcplan.sizing.calibrate --docs
