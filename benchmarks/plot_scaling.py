"""Draw benchmarks/scaling.png from the scale_* records of results.json: seconds and ratio per size.

Runs in the benchmark-only virtualenv (matplotlib is never a dependency of extractor)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend is chosen first

HERE = Path(__file__).resolve().parent


def main() -> None:
    records = [r for r in json.loads((HERE / "results.json").read_text()) if r["name"].startswith("scale_")]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for request, colour in (("research", "tab:blue"), ("audit", "tab:orange")):
        rows = sorted((r["params"]["clients"], r["seconds"], r["baseline_seconds"],
                       r["params"].get("hand_written_seconds") or float("nan"),
                       r["params"].get("over_hand_written") or float("nan"))
                      for r in records if r["name"].startswith(f"scale_{request}_"))
        if not rows:
            continue
        clients, seconds, bare, hand, ratio = zip(*rows, strict=True)
        left.plot(clients, seconds, "o-", color=colour, label=f"extract ({request})")
        left.plot(clients, hand, "s-.", color=colour, alpha=0.8, label=f"hand-written SQL ({request})")
        left.plot(clients, bare, "o--", color=colour, alpha=0.5, label=f"bare query ({request})")
        right.plot(clients, ratio, "o-", color=colour, label=request)
        for x, y in zip(clients, seconds, strict=True):
            left.annotate(f"{y:.1f} s", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        for x, y in zip(clients, ratio, strict=True):
            right.annotate(f"{y:.2f}×", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        for r in records:  # the analyst's second try, where the one-plan query ran out of memory
            if r["name"].startswith(f"scale_{request}_") and r["params"].get("hand_written_how"):
                x, y = r["params"]["clients"], r["params"]["hand_written_seconds"]
                left.annotate(f"hand-written ({request}): one plan ran out\nof memory; rules' rows to tables first",
                              (x, y), textcoords="offset points", xytext=(-175, -4), fontsize=7, color=colour)
        for r in records:  # the analyst's SQL that did not finish (out of memory): marked where it stopped
            if r["name"].startswith(f"scale_{request}_") and r["params"].get("hand_written_failed"):
                x = r["params"]["clients"]
                left.plot([x], [r["seconds"]], "x", color=colour, markersize=12, mew=2)
                left.annotate(f"hand-written SQL ({request}):\n{r['params']['hand_written_failed'][:19]}",
                              (x, r["seconds"]), textcoords="offset points", xytext=(-150, -28), fontsize=7,
                              color=colour)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("clients (about 10 documents each)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    left.set_yscale("log")
    left.set_ylabel("seconds")
    left.set_title("Whole extract, the analyst's own SQL, the bare query (same run)")
    right.axhline(1.5, color="grey", linestyle=":", label="target 1.5×")
    right.set_ylim(0, max([r["params"].get("over_hand_written") or 0 for r in records] + [2.0]) * 1.15)
    right.legend(fontsize=8)
    right.set_ylabel("extract ÷ hand-written SQL of the same rules")
    right.set_title("Cost ratio by size")
    fig.tight_layout()
    fig.savefig(HERE / "scaling.png", dpi=110)


if __name__ == "__main__":
    main()
