# Two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: demo test chaos lint typecheck demo-snapshot fonts bench bench-collect bench-verify bench-pdf bench-trail-logs syslibs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -e '.[dev]'
	touch $@

# Debian packages of the system libraries the PDF renderer loads; one line names any missing.
# The pack's fonts ship in templates/fonts/; fonts-dejavu-core only backs characters outside them.
SYSLIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core
syslibs:
	@missing=""; for p in $(SYSLIBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "missing system libraries: run: sudo apt-get install -y$$missing"; fi

demo: $(VENV)/.installed syslibs
	$(VENV)/bin/reporter demo --out sample_reports

test: $(VENV)/.installed-dev syslibs
	$(PY) -m pytest -q

# The guards of ARCHITECTURE.md: style, formatting, the import contract of the layers, and types.
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check reporter tests bench tools
	$(VENV)/bin/ruff format --check reporter tests bench tools
	$(VENV)/bin/lint-imports

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

demo-snapshot: $(VENV)/.installed-dev
	$(PY) tools/build_demo_snapshot.py

# Rebuild templates/fonts/ from Debian's fonts-dejavu-core (the committed files are the ones used).
fonts: $(VENV)/.installed-dev
	$(PY) tools/ship_fonts.py

# The chaos suite's long run: 20 seeds, a 20-account organization, 10 % of requests faulty.
chaos: $(VENV)/.installed-dev
	$(PY) tests/chaos/run.py --seeds 1-20 --accounts 20 --rate 0.1

bench: $(VENV)/.installed-dev
	$(PY) bench/run.py

bench-collect: $(VENV)/.installed-dev
	$(PY) bench/collect_bench.py --replay

bench-verify: $(VENV)/.installed-dev syslibs
	$(PY) bench/verify_bench.py

bench-pdf: $(VENV)/.installed-dev syslibs
	$(PY) bench/pdf_bench.py

bench-trail-logs: $(VENV)/.installed-dev
	$(PY) bench/trail_logs_bench.py

clean:
	rm -rf $(VENV) .pytest_cache build dist
