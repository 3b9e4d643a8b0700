"""Write extractor/data/freetext_quality.json: the de-identifier's scores on the hand-written corpus
(tests/fixtures/freetext_corpus), which every review report of a notes request states as the residual risk
the DPO accepts. `make bench` runs it; tests/test_freetext_corpus.py fails when the file is stale."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    from extractor import __version__
    from extractor.freetext.evaluation import QUALITY_FILE, measure

    corpus = sorted((REPO / "tests" / "fixtures" / "freetext_corpus").glob("notes_*.txt"))
    result = {"extractor": __version__, "corpus": "tests/fixtures/freetext_corpus (hand-written; see its SOURCES.md)",
              **measure(corpus)}
    path = REPO / "extractor" / Path(*QUALITY_FILE)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
