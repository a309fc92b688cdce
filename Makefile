# hey-number: `make run` and `make test` set everything up on a fresh Debian machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Use the shared MNIST copy beside the checkout when the environment names none.
ifeq ($(HEY_NUMBER_MNIST_DIR),)
ifneq ($(wildcard ../shared/data/mnist/train-images-idx3-ubyte.gz),)
export HEY_NUMBER_MNIST_DIR := $(abspath ../shared/data/mnist)
endif
endif

.PHONY: setup system-deps run test lint format benchmark clean

setup: system-deps $(STAMP)

# espeak-ng speaks the voice notes. Installed here when we are root; otherwise we say how.
system-deps:
	@if command -v espeak-ng >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && apt-get install -y -qq espeak-ng >/dev/null; \
	else \
		echo "espeak-ng is missing (needed for voice notes): run  sudo apt-get install -y espeak-ng"; exit 1; \
	fi
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; \
		else echo "python3-venv is missing: run  sudo apt-get install -y python3-venv"; exit 1; fi; }

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[train,dev]'
	touch $(STAMP)

run: setup
	$(BIN)/hey-number run

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest -q

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

benchmark: setup
	$(BIN)/python benchmarks/classifier.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
