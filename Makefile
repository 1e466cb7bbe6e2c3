# neural_style: the two commands to start are `make setup` and `make test`.
#   make setup                  TensorFlow (its CUDA build where an NVIDIA driver is present)
#   make setup BACKEND=jax      ... and JAX in the same .venv (BACKEND=torch: PyTorch)
PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip --disable-pip-version-check
BACKEND ?=
# CUDA builds where an NVIDIA driver is present, CPU builds elsewhere.
DEVICE  := $(shell command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && echo gpu || echo cpu)
# The tests that run again on every other installed backend: the library, the command, the
# lesson's notebook (the other notebooks call the same library functions these tests cover).
BACKEND_TESTS := tests/test_losses.py tests/test_lbfgs.py tests/test_optimize.py tests/test_transfer.py tests/test_cli.py \
                 tests/test_notebooks.py::test_lesson_notebook \
                 tests/test_nets.py tests/test_perceptual.py tests/test_cli_realtime.py tests/test_kinds.py
# What differs per backend, run again on PyTorch (the whole list above would add ~15 minutes to CI):
# losses, gradients, the device L-BFGS, the networks and perceptual losses, a kind trained and applied.
TORCH_TESTS := tests/test_losses.py tests/test_lbfgs.py tests/test_optimize.py tests/test_nets.py tests/test_perceptual.py tests/test_kinds.py

.PHONY: setup browser page-runtime serve export clean-outputs test test-backends run run-fast lab notebooks figures figures-paper gallery bench bench-gpu weights data lint docs clean

# What lesson 8 needs (TensorFlow, Keras, scipy, JupyterLab, LiteRT, the weights): make lab, make run
# and make notebooks. Every other job installs its own extra on first use (make serve,
# make export, make docs; make test and make bench: everything).
setup: $(VENV)/.lesson $(BACKEND:%=$(VENV)/.backend-%) weights

# Debian's Chromium for the page test (Playwright drives it); as root only, else that test skips and says why.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null); \
	else echo "make browser: not root or no apt-get: the page test will skip (install Chromium to run it)"; fi

# ONNX Runtime Web for the page's camera mode, from the npm registry at the lockfile's version
# (Debian's npm first where it is missing, as root); without it the camera is painted through the server.
PAGE_RUNTIME := neural_style/page/node_modules/.package-lock.json
page-runtime: $(PAGE_RUNTIME)
$(PAGE_RUNTIME): neural_style/page/package.json neural_style/page/package-lock.json
	@if ! command -v npm >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  apt-get install -y -q npm >/dev/null 2>&1 || (apt-get update -q >/dev/null && apt-get install -y -q npm >/dev/null); fi
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix neural_style/page --no-audit --no-fund --loglevel=error; \
	else echo "make page-runtime: no npm: the camera mode paints through the server, and its browser test skips"; fi

$(VENV)/.lesson: setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -c constraints.txt -e ".[$(DEVICE),offline,photos,notebooks,litert]"
	touch $@

# One job's extra (serve, export, docs, test) beside the lesson's.
$(VENV)/.extra-%: $(VENV)/.lesson
	$(PIP) install --quiet -c constraints.txt -e ".[$(DEVICE),offline,photos,notebooks,litert,$*]"
	touch $@

$(VENV)/.installed: $(VENV)/.lesson
	$(PIP) install --quiet -c constraints.txt -e ".[$(DEVICE),offline,export,serve,photos,test,notebooks,docs]"
	touch $@

$(VENV)/.backend-%: $(VENV)/.lesson
	@case "$*" in jax|torch) ;; *) echo "make setup: BACKEND=$* is not one of jax, torch"; exit 2;; esac
	$(PIP) install --quiet -c constraints.txt -e ".[$*-$(DEVICE)]"
	touch $@

weights: $(VENV)/.lesson
	$(PY) -m neural_style.weights

data: $(VENV)/.lesson
	$(PY) -m neural_style.data

# The whole suite on TensorFlow (with the cross-backend tests of every installed backend);
# then, if JAX is installed, the library, command and notebook tests again on JAX; if
# PyTorch is, the backend-specific tests on PyTorch.
test: $(VENV)/.installed weights browser page-runtime lint
	$(PY) -m pytest -q --durations=15
	@if $(PY) -c "import jax" 2>/dev/null; then \
	  echo "--- the same library, command and notebook tests on JAX"; \
	  KERAS_BACKEND=jax $(PY) -m pytest -q --durations=10 $(BACKEND_TESTS); fi
	@if $(PY) -c "import torch" 2>/dev/null; then \
	  echo "--- the backend-specific tests on PyTorch"; \
	  KERAS_BACKEND=torch $(PY) -m pytest -q --durations=5 $(TORCH_TESTS); fi

# Cross-backend agreement and the backend tests on every installed backend (PyTorch too).
test-backends: $(VENV)/.installed
	$(PY) -m pytest -q tests/test_backends.py
	@for b in jax torch; do if $(PY) -c "import $$b" 2>/dev/null; then \
	  echo "--- $$b"; KERAS_BACKEND=$$b $(PY) -m pytest -q $(BACKEND_TESTS) || exit 1; fi; done

run: $(VENV)/.lesson
	$(VENV)/bin/neural-style

# The shipped networks over TF Serving's REST API, and a page to try them: http://127.0.0.1:8501/
serve: $(VENV)/.extra-serve weights page-runtime
	$(VENV)/bin/neural-style serve

# A network for TF Serving, ONNX Runtime and phones: make export NET=paintings (default starry_night).
NET ?= starry_night
export: $(VENV)/.extra-export
	$(VENV)/bin/neural-style export $(NET) --format all -o exported

# The same photo with the shipped real-time Starry Night network: one forward pass.
run-fast: $(VENV)/.lesson
	$(VENV)/bin/neural-style --model starry_night -o results/grace_hopper_starry_night_fast.png

# Your own notebooks go in notebooks/mine/: make never runs or rewrites them.
lab: $(VENV)/.lesson
	@mkdir -p notebooks/mine
	@echo "Save your own notebooks in notebooks/mine/ (make notebooks runs only the project's: $(NOTEBOOKS))"
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

# The fastest backend here: JAX on a GPU where it is installed (XLA, TF32), else TensorFlow.
FAST_BACKEND = $(shell [ "$(DEVICE)" = gpu ] && $(PY) -c "import jax" 2>/dev/null && echo jax || echo tensorflow)

# The project's own notebooks, by name: a notebook of yours beside them is never run or rewritten.
NOTEBOOKS := notebooks/neural-style.ipynb notebooks/gatys-2015-figures.ipynb notebooks/perceptual-losses.ipynb notebooks/tensorflow-notes.ipynb

# KERAS_BACKEND, when set, is yours; otherwise the fastest backend here.
notebooks: $(VENV)/.lesson
	KERAS_BACKEND=$${KERAS_BACKEND:-$(FAST_BACKEND)} NEURAL_STYLE_FIGURES=$(CURDIR)/figures $(PY) notebooks/execute.py --in-place $(NOTEBOOKS)

figures: notebooks

# Gatys et al.'s Figures 1-3 at the paper's scale: hours on a CPU, resumable panel by panel.
figures-paper: $(VENV)/.lesson
	KERAS_BACKEND=$${KERAS_BACKEND:-$(FAST_BACKEND)} $(PY) figures/paper.py

gallery: $(VENV)/.installed
	$(PY) figures/gallery.py

bench: $(VENV)/.installed browser page-runtime
	$(PY) benchmarks/bench.py
	$(PY) benchmarks/realtime.py
	$(PY) benchmarks/train_step.py
	$(PY) benchmarks/stream.py
	$(PY) benchmarks/steadiness.py
	$(PY) benchmarks/serving.py
	$(PY) benchmarks/camera.py
	@for b in jax torch; do if $(PY) -c "import $$b" 2>/dev/null; then \
	  KERAS_BACKEND=$$b $(PY) benchmarks/bench.py --sizes 256,512 --append; fi; done

# No set-up needed: also runs where only JAX or PyTorch is installed (no .venv, no TensorFlow).
bench-gpu:
	$(if $(wildcard $(PY)),$(PY),$(PYTHON)) benchmarks/gpu.py

# The documentation (docs/, its API reference from the docstrings) in build/docs; warnings are errors.
docs: $(VENV)/.extra-docs
	$(VENV)/bin/mkdocs build --strict --quiet

# ruff's formatting and its checks (100 columns, E501 on): what CI runs before the tests.
LINTED = neural_style tests benchmarks notebooks figures release
lint: $(VENV)/.extra-test
	$(VENV)/bin/ruff format --check --quiet $(LINTED)
	$(VENV)/bin/ruff check --quiet $(LINTED)

# What make built; your pictures (results/) and training logs (runs/) stay.
clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# What the jobs wrote for you, by name: your pictures, training logs and exported networks.
clean-outputs:
	@echo "deleting results/ (pictures), runs/ (TensorBoard logs) and exported/ (exported networks)"
	rm -rf results runs exported
