# neural_style: the two commands to start are `make setup` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# TensorFlow with CUDA where an NVIDIA driver is present, the CPU build elsewhere.
TF_EXTRA := $(shell command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && echo gpu || echo cpu)

.PHONY: setup test run notebooks figures gallery bench weights data lint clean

setup: $(VENV)/.installed weights

$(VENV)/.installed: setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -c constraints.txt -e ".[$(TF_EXTRA),offline,test,notebooks]"
	touch $@

weights: $(VENV)/.installed
	$(PY) -m neural_style.weights

data: $(VENV)/.installed
	$(PY) -m neural_style.data

test: $(VENV)/.installed
	$(PY) -m pytest -q

run: $(VENV)/.installed
	$(VENV)/bin/neural-style

notebooks: $(VENV)/.installed
	NEURAL_STYLE_FIGURES=$(CURDIR)/figures $(PY) notebooks/execute.py --in-place notebooks/*.ipynb

figures: notebooks

bench: $(VENV)/.installed
	$(PY) benchmarks/bench.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check neural_style tests benchmarks notebooks figures

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache results runs

gallery: $(VENV)/.installed
	$(PY) figures/gallery.py
