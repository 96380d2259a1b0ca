# A newcomer's two commands: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint golden rules-snapshot reference-docx clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/policy-builder build profiles/example-council.yaml --out out

# pytest runs one worker per core (pytest-xdist) and hands out tests one by one, so both workers finish
# together; a file whose module fixtures cost seconds (the wheel in tests/test_install.py, LibreOffice's PDFs,
# the covering set of stances) is marked xdist_group and stays on one worker, so they are built once.
# Python writes its compiled files even where the environment says not to (PYTHONDONTWRITEBYTECODE): without
# them every process (each worker, each `policy-builder` a test starts) compiles the tests and the package
# again. They go under .venv/pycache, not beside the sources (the wheel test lists what the sources hold).
# The library's lint runs inside the suite, once a run (tests/test_lint.py fails on any problem, tests/test_cli.py
# checks what `policy-builder lint` prints, tests/test_install.py runs it from the wheel), so it is not run a
# second time before the suite; mypy keeps its cache in .mypy_cache (1-2 s warm).
test: $(VENV)/.installed
	$(BIN)/ruff check policy_builder tests benchmarks
	$(BIN)/ruff format --check policy_builder tests benchmarks
	$(BIN)/mypy
	env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$(abspath $(VENV))/pycache $(BIN)/pytest -q -n auto --dist loadgroup

# Regenerate the reviewed golden file after a deliberate change; read the diff before committing.
golden: $(VENV)/.installed
	$(BIN)/python tests/golden_tools.py

# Take a new baseline of what each bundled profile's policy rules on (tests/fixtures/policy-rules.json) for
# tests/test_rule_preservation.py. Only for a new reviewed baseline: a rule meant to go or change belongs in
# tests/fixtures/rule-changes.yaml with its reason, not in a regenerated snapshot.
rules-snapshot: $(VENV)/.installed
	$(BIN)/python tests/rule_snapshot.py

# Regenerate the bundled Word template after changing a style in scripts/make_reference_docx.py.
reference-docx: $(VENV)/.installed
	$(BIN)/python scripts/make_reference_docx.py

clean:
	rm -rf $(VENV) out
