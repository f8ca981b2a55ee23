# Two entry points a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_DB ?= sqlite:///demo.db

.PHONY: install demo demo-run test bench letters clean

$(BIN)/screening: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/screening

demo: install  # the demo's run, then its region served until Ctrl-C (DEMO_SERVE=0: the run alone)
	$(BIN)/python -m screening.cli.demo --db $(DEMO_DB) $(if $(filter 0 no,$(DEMO_SERVE)),--no-serve)

demo-run: install  # the demo's run alone, ending when done (scripts, tests)
	$(BIN)/python -m screening.cli.demo --db $(DEMO_DB) --no-serve

test: install
	$(BIN)/python -m pytest -q

letters: install  # sample letters, one per script, as PNG (needs poppler-utils' pdftoppm)
	$(BIN)/python -m screening.cli.letter_samples docs/letters

bench: install
	$(BIN)/python benchmarks/run.py --small

clean:
	rm -rf $(VENV) demo.db demo.db-wal demo.db-shm
