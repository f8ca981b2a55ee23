# Two entry points a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_DB ?= sqlite:///demo.db

.PHONY: install demo test bench letters clean

$(BIN)/screening: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/screening

demo: install
	$(BIN)/python -m screening.cli.demo --db $(DEMO_DB)

test: install
	$(BIN)/python -m pytest -q

letters: install  # sample letters, one per script, as PNG (needs poppler-utils' pdftoppm)
	$(BIN)/python -m screening.cli.letter_samples docs/letters

bench: install
	$(BIN)/python benchmarks/run.py --small

clean:
	rm -rf $(VENV) demo.db demo.db-wal demo.db-shm
