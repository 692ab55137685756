# Two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: demo pages test test-newest-botocore lock dist image image-smoke chaos lint typecheck demo-snapshot fonts bench bench-collect bench-verify bench-pdf bench-trail-logs bench-install syslibs clean

# constraints.txt pins every package (core and all extras) to the versions CI tested: `make lock`.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# Re-resolve the pins (after a dependency change in pyproject.toml), keeping every version that
# still satisfies it; tests/test_layout.py fails while the two disagree.
lock: $(VENV)/.installed-dev
	$(PIP) install --quiet 'uv>=0.5'
	$(VENV)/bin/uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 -o constraints.txt

# The shared clients hand each request its account's credentials through botocore internals
# (collect/session.py). This runs those tests against the newest boto3/botocore on the index,
# outside the lock, so a botocore release that moves the hook fails here before users meet it.
NEWEST := .venv-newest
test-newest-botocore:
	$(PYTHON) -m venv $(NEWEST)
	$(NEWEST)/bin/pip install --quiet --upgrade pip
	$(NEWEST)/bin/pip install --quiet -e '.[dev]'
	$(NEWEST)/bin/pip install --quiet --upgrade boto3 botocore
	@$(NEWEST)/bin/python -c 'import botocore; print("botocore", botocore.__version__)'
	@$(NEWEST)/bin/python -m pytest -q -p no:cacheprovider -m credential_hook tests/collect/test_collect_units.py \
	  || { echo "FAILED: the newest botocore no longer signs each request with context['signing']['request_credentials'] (reporter/collect/session.py)"; exit 1; }

# The container of the ECS and Batch recipes: `docker run --rm -v "$$PWD/out:/var/lib/reporter" reporter:<version> demo --out .`
# CONTAINER: docker where its engine answers, else podman. PYTHON_IMAGE: another base image (without
# registry access: tools/local_base_image.sh builds one). CONTAINER_FLAGS: more `build` options.
IMAGE ?= reporter
CONTAINER ?= $(shell docker info >/dev/null 2>&1 && echo docker || echo podman)
image:
	$(CONTAINER) build $(CONTAINER_FLAGS) $(if $(PYTHON_IMAGE),--build-arg PYTHON_IMAGE=$(PYTHON_IMAGE)) \
	  --tag $(IMAGE):$$($(PYTHON) -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])') .

# Issue #18's acceptance: build, run `demo` and `report` in the image, validate what it wrote. Root; minutes.
image-smoke: $(VENV)/.installed-dev
	CONTAINER=$(CONTAINER) PYTHON_IMAGE=$(PYTHON_IMAGE) IMAGE=$(IMAGE) tools/image_smoke.sh

dist: $(VENV)/.installed-dev
	rm -rf dist
	$(PIP) wheel --quiet --no-deps --wheel-dir dist .
	@ls dist

# Debian packages of the system libraries the PDF renderer loads; one line names any missing.
# The pack's fonts ship in templates/fonts/; fonts-dejavu-core only backs characters outside them.
SYSLIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core
syslibs:
	@missing=""; for p in $(SYSLIBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "missing system libraries: run: sudo apt-get install -y$$missing"; fi

demo: $(VENV)/.installed syslibs
	$(VENV)/bin/reporter demo --out sample_reports
	@command -v pdftoppm >/dev/null && $(MAKE) --no-print-directory pages || echo "sample_reports/pages.png not redrawn: pdftoppm is missing (apt-get install poppler-utils)"

# Every page of the demo PDF on one PNG (poppler's pdftoppm + Pillow), for a reviewer.
pages: $(VENV)/.installed
	$(PY) tools/contact_sheet.py sample_reports/audit-pack-*.pdf sample_reports/pages.png

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

# The core install's size and package count beside the install issue #18 measured. Two fresh venvs; minutes.
bench-install: $(VENV)/.installed-dev
	$(PY) bench/install_size.py

clean:
	rm -rf $(VENV) $(NEWEST) .pytest_cache build dist
