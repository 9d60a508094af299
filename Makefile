# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
SHARED ?= ../shared

.PHONY: run test lint eval bench content-check clean messages

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' >&2
	@touch $@

run: $(STAMP)
	@$(PY) -m bot run

test: $(STAMP)
	$(PY) -m ruff check bot tests benchmarks
	$(PY) -m bot content check --quiet
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check bot tests benchmarks
	$(PY) -m ruff format --check bot tests benchmarks

content-check: $(STAMP)
	$(PY) -m bot content check

eval: $(STAMP)
	$(PY) $(SHARED)/tools/score.py $(SHARED)/eval/dev-questions.jsonl --python $(PY)

bench: $(STAMP)
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) build *.egg-info

# After changing UI strings in code: refresh the template and merge it into every language.
messages: $(STAMP)
	$(VENV)/bin/pybabel extract -o locales/messages.pot --project=kl-integration-bot --no-location --sort-output bot
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching
