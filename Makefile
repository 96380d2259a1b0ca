# A newcomer's two commands: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint golden reference-docx clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/policy-builder build profiles/example-council.yaml --out out

test: $(VENV)/.installed
	$(BIN)/ruff check policy_builder tests benchmarks
	$(BIN)/ruff format --check policy_builder tests benchmarks
	$(BIN)/policy-builder lint
	$(BIN)/pytest -q

# Regenerate the reviewed golden file after a deliberate change; read the diff before committing.
golden: $(VENV)/.installed
	$(BIN)/python tests/golden_tools.py

# Regenerate the bundled Word template after changing a style in scripts/make_reference_docx.py.
reference-docx: $(VENV)/.installed
	$(BIN)/python scripts/make_reference_docx.py

clean:
	rm -rf $(VENV) out
