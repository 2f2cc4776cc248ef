# The two commands a newcomer runs: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench gallery notebooks clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

# The tutorial's 18 prompts, verbatim (text2video.grammar.TUTORIAL_PROMPTS)
TUTORIAL := "circle moving down" \
	"circle moving left" \
	"circle moving right" \
	"circle moving diagonally up-right" \
	"circle moving diagonally down-left" \
	"circle moving diagonally up-left" \
	"circle moving diagonally down-right" \
	"circle moving up-left" \
	"circle moving down-right" \
	"circle moving down-left" \
	"circle rotating clockwise" \
	"circle rotating counter-clockwise" \
	"circle shrinking" \
	"circle expanding" \
	"circle bouncing vertically" \
	"circle bouncing horizontally" \
	"circle zigzagging vertically" \
	"circle zigzagging horizontally"

# model/shapes in the README: three held-out combinations, then six seen ones
SHAPES = "small red square moving down-left quickly" "large red triangle moving up-right" \
	"small yellow square moving down" "large yellow triangle moving left slowly" \
	"small green circle moving down-right" "large blue circle moving up quickly" \
	"small cyan triangle moving right" "large white square moving down-left slowly" \
	"large magenta square moving up-left"

demo: $(STAMP)
	$(PY) -m text2video generate "circle moving up-right" --num-samples 4 --scale 2 --out outputs/circle_moving_up-right.gif
	$(PY) -m text2video generate $(TUTORIAL) --model model/patterns --scale 2 --out outputs/tutorial_prompts.gif

test: $(STAMP)
	$(PY) -m pytest

# Every benchmark (generation speed included) into bench/RESULTS.md: about 20 minutes on 2 cores,
# on an otherwise idle machine. `$(PY) bench/run_all.py --quick` checks it in under a minute.
bench: $(STAMP)
	$(PY) bench/run_all.py

# After the shipped model changes: refresh the README gallery and the notebooks' committed
# outputs (one thread each: faster when other jobs share the CPU). `make notebooks`: 4 min on
# the 2-core machine while two training jobs ran.
gallery: $(STAMP)
	$(PY) docs/make_gallery.py
	$(PY) -m text2video generate $(TUTORIAL) --model model/patterns --scale 2 --out docs/gallery/tutorial_prompts.gif
	$(PY) -m text2video generate $(SHAPES) --model model/shapes --scale 2 --out docs/gallery/shapes.gif

notebooks: $(STAMP)
	rm -rf runs/notebook-01 runs/notebook-02 runs/notebook-03-tutorial
	cd notebooks && for nb in 01_dataset 02_train 03_generate; do \
		OMP_NUM_THREADS=1 ../$(PY) -m jupytext --to ipynb --execute $$nb.py || exit 1; done

clean:
	rm -rf outputs runs .pytest_cache
