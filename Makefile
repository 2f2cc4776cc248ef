# The two commands a newcomer runs: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m text2video generate "circle moving up-right" --num-samples 4 --scale 2 --out outputs/circle_moving_up-right.gif

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/data_throughput.py

clean:
	rm -rf outputs runs .pytest_cache
