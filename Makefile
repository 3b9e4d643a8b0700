# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CLIENTS ?= 1000000
# `make bench SCALE=1`: both extracts at each of these sizes, and benchmarks/scaling.png.
SCALE_SIZES ?= 100000,1000000,10000000
# Tests run without network: in a fresh network namespace when the machine allows it (its loopback up,
# for the web airlock's browser test on 127.0.0.1), and always with sockets blocked inside Python
# (tests/conftest.py).
NONET  := $(shell unshare -n sh -c 'ip link set lo up' 2>/dev/null && echo "unshare -n sh -c 'ip link set lo up && exec \"\$$0\" \"\$$@\"'")

.PHONY: demo test test-fast durations bench lint browser voikko java postgres lock clean differential messages

# Installs exactly the versions CI tested: every transitive dependency is pinned in requirements.lock
# (`make lock` updates it on purpose; see the README).
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test,spark,postgres,samples]'
	touch $(STAMP)

# Resolve every dependency afresh in a throwaway virtualenv and pin what it got: the one deliberate update.
lock:
	rm -rf .venv-lock
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade pip
	.venv-lock/bin/pip install --quiet '.[test,spark,postgres,samples]'
	( echo "# Every package extractor, its tests and Spark install, pinned: made by 'make lock' on $$(date -u +%F)"; \
	  .venv-lock/bin/pip freeze --all --exclude-editable | grep -v -e '^extractor' -e '^pip==' ) > requirements.lock
	( echo "# The benchmark peers (anjana, pycanon, matplotlib) in .venv-bench, pinned by 'make lock'"; \
	  rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet anjana pycanon matplotlib \
	  && .venv-lock/bin/pip freeze ) > benchmarks/requirements-bench.lock
	rm -rf .venv-lock

demo: $(STAMP)
	-@$(MAKE) --no-print-directory voikko
	$(BIN)/extractor demo --workdir demo
	$(BIN)/extractor sample omop --out demo/omop
	$(BIN)/extractor run examples/omop/cohort_request.toml --key-file demo/keys/controller.key --out demo/out
	$(BIN)/extractor sample fhir --out demo/fhir
	$(BIN)/extractor run examples/fhir/request.toml --key-file demo/keys/controller.key --out demo/out

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the report tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "could not install chromium (needs root and Debian's package registry)"; exit 1; }; }

# Voikko (Finnish morphology for names in notes) and the Swedish and English word lists (the second line of
# defence in notes) from Debian's packages; without them the extractor falls back (suffix rules; the second
# line off for that language, said in the report), so `make demo` only tries, and `make test` requires them.
voikko:
	@test -e /usr/lib/voikko/5/mor-standard/mor.vfst -a -n "$$(ldconfig -p | grep libvoikko.so.1)" \
	  -a -e /usr/share/dict/swedish -a -e /usr/share/dict/american-english -a -e /usr/share/dict/british-english \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvoikko1 voikko-fi \
	      wswedish wamerican wbritish >/dev/null) \
	  || { echo "could not install Voikko and the word lists (libvoikko1 voikko-fi wswedish wamerican wbritish): needs root and Debian's package registry"; exit 1; }

# Java for Spark (--engine spark and its tests): Debian's headless JRE where none is installed.
java:
	@command -v java >/dev/null 2>&1 || test -n "$$JAVA_HOME" \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null) \
	  || { echo "could not install Java (openjdk-17-jre-headless): needs root and Debian's package registry"; exit 1; }

# PostgreSQL's server (initdb, pg_ctl) from Debian's packages: the tests start a temporary cluster on loopback
# for the shared state store.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
	  || { echo "could not install PostgreSQL (postgresql): needs root and Debian's package registry"; exit 1; }

# pytest-xdist: two workers per CPU this machine gives us (cgroup quota and affinity, as extractor sizes DuckDB):
# the suite waits on subprocesses, a browser, a JVM, PostgreSQL and fsync about half its time, so one worker
# per CPU left the CPUs half idle. A test file stays on one worker (module fixtures), the Spark files share
# one (one JVM), the longest files go first (tests/conftest.py, tests/durations.json).
WORKERS ?= $(shell $(BIN)/python -c "from extractor.machine import cpu_limit; print(2 * cpu_limit()[0])" 2>/dev/null || echo auto)
# Byte code: the suite starts hundreds of Python processes (the CLI, pool workers, Spark's workers), and where
# PYTHONDONTWRITEBYTECODE is set (container images often set it) each compiled the package from source again,
# and each pytest worker rewrote every test module's assertions again: compiled once here, cached by pytest.
BYTECODE := $(BIN)/python -m compileall -q -j 0 extractor && PYTHONDONTWRITEBYTECODE=

test: $(STAMP) browser voikko java postgres
	$(BIN)/ruff check extractor tests benchmarks
	$(BYTECODE) $(NONET) $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile --durations=30

# On every save: the suite without the slow tests (Spark, large registries); CI runs `make test`.
test-fast: $(STAMP) browser voikko postgres
	$(BYTECODE) $(NONET) $(BIN)/python -m pytest -n $(WORKERS) --dist loadfile -m "not slow"

# Seconds per test file, for handing the longest files out first: remake when the suite's shape changes.
durations: $(STAMP)
	$(NONET) $(BIN)/python -m pytest -n auto --durations=0 | $(BIN)/python tests/file_durations.py > tests/durations.json.new
	mv tests/durations.json.new tests/durations.json

# The differential test at full size: 10,000 random tables through the pipeline, the checker and a
# brute-force attacker (the suite runs 400).
differential: $(STAMP)
	DIFFERENTIAL_EXAMPLES=10000 $(NONET) $(BIN)/python -m pytest tests/test_tables_differential.py -p no:randomly

# anjana and pycanon pin their own numpy/pandas: they live in a separate, benchmark-only virtualenv.
.venv-bench/.installed:
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/pip install --quiet --upgrade pip
	.venv-bench/bin/pip install --quiet -r benchmarks/requirements-bench.lock
	touch .venv-bench/.installed

bench: $(STAMP) .venv-bench/.installed java
ifdef SCALE
	$(BIN)/python -m benchmarks.run --scale $(SCALE_SIZES)
	.venv-bench/bin/python benchmarks/plot_scaling.py
else
	$(BIN)/python -m benchmarks.run --clients $(CLIENTS)
endif

lint: $(STAMP)
	$(BIN)/ruff check extractor tests benchmarks

clean:
	rm -rf $(VENV) demo out benchmarks/work

# The message catalogs: extract every text a person reads (templates, and _()/N_()/Message() in the code)
# into extractor/locale/extractor.pot and merge it into each language's .po for the translators; a new or
# changed text shows up there untranslated (or fuzzy), and tests/test_i18n.py fails until it is translated.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k Message --no-location --omit-header --sort-output \
	  -o extractor/locale/extractor.pot .
	for lang in fi sv; do \
	  test -f extractor/locale/$$lang/LC_MESSAGES/extractor.po \
	  || $(BIN)/pybabel init -D extractor -i extractor/locale/extractor.pot -d extractor/locale -l $$lang; \
	  $(BIN)/pybabel update -D extractor -i extractor/locale/extractor.pot -d extractor/locale -l $$lang \
	    --no-wrap --omit-header --ignore-obsolete; done
