# The verbs, for those who have make; each is a thin wrapper over dev.py or the venv.
PY := .venv/bin/python

.PHONY: run test lint typecheck bench install

install:
	python3 dev.py install

run:
	python3 dev.py run

test:
	python3 dev.py test

lint: install
	$(PY) -m ruff check src tests
	$(PY) -m ruff format --check src tests
	.venv/bin/lint-imports

typecheck: install
	$(PY) -m mypy

bench: install
	$(PY) -m benchmarks.run
