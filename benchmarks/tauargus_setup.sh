#!/usr/bin/env bash
# Installs the τ-Argus benchmark peer (benchmarks/tauargus_peer.py) into .venv-bench; idempotent.
#
# τ-Argus here is the PyPI wheel pytauargus 0.6.0 (EUPL-1.2, trygu/pytauargus): τ-Argus's native C/C++
# libraries (sdcTools libtauargus, CSP, CRP, tauhitas, taurounder) built against HiGHS, with a Python port
# of the Java batch driver. Nothing is compiled and no solver licence is needed: pip installs a manylinux
# wheel (CPython 3.11-3.15, x86_64/aarch64, glibc >= 2.28) with libhighs bundled.
#
# Only .venv-bench is touched (created if missing, with the benchmark lock as `make bench` would); the
# project's own .venv and its dependencies are left alone: pytauargus is EUPL and benchmark-only.
# Needs PyPI once; after that the peer runs offline.
#
#   bash benchmarks/tauargus_setup.sh            # install (no-op when already installed)
#   FORCE=1 bash benchmarks/tauargus_setup.sh    # reinstall
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV=.venv-bench
STAMP="$VENV/.tauargus-installed"
PINS=(pytauargus==0.6.0 polars==2.1.0 polars-runtime-32==2.1.0 pyarrow==26.0.1)

if [[ -z "${FORCE:-}" && -f "$STAMP" && "$(cat "$STAMP")" == "${PINS[*]}" ]]; then
  echo "τ-Argus peer already installed in $VENV (${PINS[*]})"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet -r benchmarks/requirements-bench.lock
  touch "$VENV/.installed"   # what `make bench` checks before installing the lock itself
fi

# Binary wheels only: the engine is never built from source here.
"$VENV/bin/pip" install --quiet --only-binary=:all: "${PINS[@]}"

# Smoke test, offline: load the native engine and protect a 2 x 2 count table.
"$VENV/bin/python" - <<'EOF'
import shutil
import sys
import tempfile

import polars as pl

sys.path.insert(0, ".")
from benchmarks.tauargus_peer import run_tauargus

df = pl.DataFrame({"a": ["x"] * 12 + ["y"] * 13, "b": ["p"] * 2 + ["q"] * 10 + ["p"] * 10 + ["q"] * 3})
work = tempfile.mkdtemp(prefix="tauargus_smoke_")
res = run_tauargus(df, ["a", "b"], None, None, threshold=3, rounding_base=5, methods=("OPT",), time_limit_s=60,
                   workdir=work)
shutil.rmtree(work)
opt = res["methods"]["OPT"]
assert opt["ok"] and opt["primary"] == 2 and opt["hidden"] == 4, opt
print(f"τ-Argus peer OK (pytauargus {res['pytauargus']}): OPT hid {opt['hidden']} of {opt['cells']} cells")
EOF

echo "${PINS[*]}" > "$STAMP"
