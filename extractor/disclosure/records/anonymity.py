"""k-anonymity and distinct ℓ-diversity by full-domain generalisation: the globally optimal node.

The lattice holds one node per combination of hierarchy levels. Nodes are visited in ascending order of
a lower bound of their loss (the loss without any suppression, which only grows with generalisation);
a node below one found non-anonymous is skipped (monotonicity: generalising only merges classes).
After a first anonymous node caps the loss, every node whose bound is below the cap is settled, most
general first, so that each non-anonymous one rules out its whole down-set; what remains is provably
the global optimum. Class sizes come from the distinct value combinations (a group-by), never per record.
Loss is ARX's Loss metric; discernibility and prosecutor risks are reported for the chosen node.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from extractor.disclosure.records.hierarchy import Hierarchy
from extractor.errors import ExtractorError

_DENSE_SPAN = 1 << 22  # up to this many possible classes, sizes come from bincount instead of a sort


@dataclass(frozen=True)
class Criteria:
    k: int = 5
    l: int | None = None  # noqa: E741 - ℓ, as in the literature
    sensitive: tuple[str, ...] = ()
    suppression_limit: float = 0.0  # at most floor(limit × n) records suppressed, as in ARX
    risk_threshold: float = 0.2


@dataclass
class Result:
    attributes: list[str]
    levels: dict[str, int]
    suppressed: int
    records: int
    loss: float
    discernibility: int
    risks: dict[str, float]
    evaluated: int
    lattice_size: int
    seconds: float = 0.0
    per_attribute_loss: dict[str, float] = field(default_factory=dict)


@dataclass
class Encoded:
    """Distinct value combinations with counts, every attribute as integer codes at every level."""

    n: int
    counts: np.ndarray
    gen: list[list[np.ndarray]]  # gen[attr][level] -> generalised code of each combination
    cards: list[list[int]]
    share: list[list[np.ndarray]]  # share[attr][level][code] = hierarchy rows mapping to it / |D|
    sizes: list[int]  # |D| per attribute
    sensitive: list[np.ndarray]
    sensitive_cards: list[int]


def encode(data: pl.DataFrame, hierarchies: dict[str, Hierarchy], sensitive: tuple[str, ...] = ()) -> Encoded:
    qis = list(hierarchies)
    n = "n"
    while n in qis or n in sensitive:  # an attribute may be called n: the count takes a name no attribute has
        n = "_" + n
    combos = data.group_by([*qis, *sensitive]).len(n)
    gen, cards, share = [], [], []
    for attr in qis:
        h = hierarchies[attr]
        h.check_covers(data[attr].cast(pl.String))
        rows = h.levels.with_row_index("row")
        raw = combos.select(pl.col(attr).cast(pl.String).alias("0")).join(rows.select("0", "row"), on="0",
                                                                            how="left", maintain_order="left")
        raw_index = raw["row"].to_numpy()
        g_attr, c_attr, s_attr = [], [], []
        for level in range(h.height):
            codes = rows[str(level)].rank("dense").cast(pl.Int64).to_numpy() - 1
            card = int(codes.max()) + 1
            g_attr.append(codes[raw_index])
            c_attr.append(card)
            s_attr.append(np.bincount(codes, minlength=card) / h.size)
        gen.append(g_attr)
        cards.append(c_attr)
        share.append(s_attr)
    sens = [combos[s].cast(pl.String).rank("dense").cast(pl.Int64).to_numpy() - 1 for s in sensitive]
    return Encoded(int(combos[n].sum()), combos[n].to_numpy().astype(np.int64), gen, cards, share,
                   [hierarchies[a].size for a in qis], sens, [int(s.max()) + 1 if len(s) else 1 for s in sens])


def _classes(enc: Encoded, node: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Class index of each combination and the size of each class."""
    key = np.zeros(len(enc.counts), dtype=np.int64)
    span = 1
    for attr, level in enumerate(node):
        card = enc.cards[attr][level]
        if span * card > 2**62:  # re-densify before the product could overflow
            _, key = np.unique(key, return_inverse=True)
            span = int(key.max()) + 1
        key = key * card + enc.gen[attr][level]
        span *= card
    if span <= _DENSE_SPAN:  # the key is already a class index: one linear pass, no sort
        return key, np.bincount(key, weights=enc.counts, minlength=span).astype(np.int64)
    _, inverse = np.unique(key, return_inverse=True)
    return inverse, np.bincount(inverse, weights=enc.counts).astype(np.int64)


def _violating(enc: Encoded, inverse: np.ndarray, sizes: np.ndarray, c: Criteria) -> np.ndarray:
    bad = sizes < c.k
    if c.l:
        for codes, card in zip(enc.sensitive, enc.sensitive_cards, strict=True):
            if len(sizes) * card <= _DENSE_SPAN:
                present = np.bincount(inverse * card + codes, minlength=len(sizes) * card) > 0
                distinct = present.reshape(len(sizes), card).sum(axis=1)
            else:
                pairs = np.unique(inverse * card + codes)
                distinct = np.bincount(pairs // card, minlength=len(sizes))
            bad |= distinct < c.l
    return bad


def _attribute_losses(enc: Encoded, node: tuple[int, ...], suppressed_combos: np.ndarray | None,
                      suppressed: int) -> list[float]:
    out = []
    for attr, level in enumerate(node):
        shares = enc.share[attr][level][enc.gen[attr][level]]
        total = float(np.dot(enc.counts, shares))
        if suppressed_combos is not None and suppressed:
            total += suppressed - float(np.dot(enc.counts[suppressed_combos], shares[suppressed_combos]))
        floor = enc.n / enc.sizes[attr]
        out.append((total - floor) / (enc.n - floor) if enc.n > floor else 0.0)
    return out


def combine(values: list[float]) -> float:
    return math.prod(1 + v for v in values) ** (1 / len(values)) - 1 if values else 0.0


class _Lattice:
    """The full-domain generalisation lattice of one search: nodes, their loss bounds, and what is known."""

    def __init__(self, enc: Encoded, heights: list[int], criteria: Criteria) -> None:
        self.enc, self.criteria = enc, criteria
        self.nodes = np.array(list(itertools.product(*[range(h) for h in heights])), dtype=np.int64)
        self.index = {tuple(int(v) for v in row): i for i, row in enumerate(self.nodes)}
        self.known_bad = np.zeros(len(self.nodes), dtype=bool)
        self.limit = math.floor(criteria.suppression_limit * enc.n)
        self.evaluated = 0
        # Lower bound of every node at once: generalisation-only loss per attribute and level.
        n = len(heights)
        per_level = [np.array([_attribute_losses(enc, tuple([0] * a + [lv] + [0] * (n - a - 1)), None, 0)[a]
                               for lv in range(h)]) for a, h in enumerate(heights)]
        self.bound = np.prod([1 + per_level[a][self.nodes[:, a]] for a in range(n)], axis=0) ** (1 / n) - 1

    def evaluate(self, i: int) -> float | None:
        """The node's loss, or None when it needs more suppression than allowed (its down-set is then ruled out:
        monotonicity)."""
        self.evaluated += 1
        node = tuple(int(v) for v in self.nodes[i])
        inverse, sizes = _classes(self.enc, node)
        bad = _violating(self.enc, inverse, sizes, self.criteria)
        suppressed = int(sizes[bad].sum())
        if suppressed > self.limit:
            self.known_bad |= (self.nodes <= self.nodes[i]).all(axis=1)
            return None
        return combine(_attribute_losses(self.enc, node, bad[inverse], suppressed))

    def greedy(self, top: tuple[int, ...]) -> tuple[float, int] | None:
        """A good anonymous node by greedy descent from the most general node: its loss caps the search."""
        current = top
        top_loss = self.evaluate(self.index[current])
        best = None if top_loss is None else (top_loss, self.index[current])
        while best is not None:
            step: tuple[float, int] | None = None
            for a in range(len(current)):
                if current[a] == 0:
                    continue
                below = self.index[current[:a] + (current[a] - 1,) + current[a + 1:]]
                if self.known_bad[below]:
                    continue
                loss = self.evaluate(below)
                if loss is not None and (step is None or loss < step[0]):
                    step = (loss, below)
            if step is None:
                break
            current = tuple(int(v) for v in self.nodes[step[1]])
            if step[0] < best[0]:
                best = step
        return best

    def improve(self, best: tuple[float, int]) -> tuple[float, int]:
        """Every node whose bound is below the best loss, most general first; a better anonymous node lowers the
        cap, a node found not anonymous rules out its whole down-set."""
        height = self.nodes.sum(axis=1)
        candidates = [int(i) for i in np.lexsort((self.bound, -height)) if self.bound[i] < best[0] - 1e-12]
        for i in candidates:
            if self.known_bad[i] or self.bound[i] >= best[0] - 1e-12 or i == best[1]:
                continue
            loss = self.evaluate(i)
            if loss is not None and loss < best[0]:
                best = (loss, i)
        return best


def search(data: pl.DataFrame, hierarchies: dict[str, Hierarchy], criteria: Criteria) -> Result:
    t0 = time.perf_counter()
    if criteria.l and not criteria.sensitive:
        raise ExtractorError("ℓ-diversity needs at least one sensitive attribute")
    enc = encode(data, hierarchies, criteria.sensitive)
    attrs = list(hierarchies)
    heights = [hierarchies[a].height for a in attrs]
    lattice = _Lattice(enc, heights, criteria)
    best = lattice.greedy(tuple(h - 1 for h in heights))
    if best is None:
        raise ExtractorError(f"no generalisation meets k={criteria.k}"
                             + (f", ℓ={criteria.l}" if criteria.l else "")
                             + f" with at most {lattice.limit} suppressed records")
    best = lattice.improve(best)
    node = tuple(int(v) for v in lattice.nodes[best[1]])
    return _result(enc, attrs, node, criteria, lattice.evaluated, len(lattice.nodes), time.perf_counter() - t0)


def _result(enc: Encoded, attrs: list[str], node: tuple[int, ...], criteria: Criteria, evaluated: int,
            lattice: int, seconds: float) -> Result:
    inverse, sizes = _classes(enc, node)
    bad = _violating(enc, inverse, sizes, criteria)
    suppressed = int(sizes[bad].sum())
    per_attr = _attribute_losses(enc, node, bad[inverse], suppressed)
    kept = sizes[~bad & (sizes > 0)]
    released = int(kept.sum())
    risks = {
        "highest_prosecutor_risk": float(1 / kept.min()) if len(kept) else 0.0,
        "records_at_risk": float(kept[1 / kept > criteria.risk_threshold].sum() / released) if released else 0.0,
        "average_prosecutor_risk": float(len(kept) / released) if released else 0.0,
        "risk_threshold": criteria.risk_threshold,
    }
    return Result(attrs, dict(zip(attrs, node, strict=True)), suppressed, enc.n, combine(per_attr),
                  int((kept.astype(np.float64) ** 2).sum() + suppressed * enc.n), risks, evaluated, lattice, seconds,
                  dict(zip(attrs, per_attr, strict=True)))


def generalise(data: pl.DataFrame, hierarchies: dict[str, Hierarchy], result: Result,
               criteria: Criteria) -> pl.DataFrame:
    """Apply the chosen levels and drop the records of classes that violate the criteria."""
    out = data
    for attr, level in result.levels.items():  # a mapping, not a join: no helper column to meet an output's own
        raw, general = hierarchies[attr].levels["0"], hierarchies[attr].levels[str(level)]
        out = out.with_columns(pl.col(attr).cast(pl.String).replace_strict(raw, general, default=None,
                                                                           return_dtype=general.dtype))
    qis = list(result.levels)
    size = pl.len().over(qis)
    keep = size >= criteria.k
    for s in criteria.sensitive if criteria.l else ():
        keep = keep & (pl.col(s).n_unique().over(qis) >= criteria.l)
    return out.filter(keep)
