"""Primary suppression: the cells that are disclosive on their own, and how wide their hiding must be.

Rules (policy `disclosure`, defaults after OpenSAFELY, sdcTable and ACRO/SACRO):
- threshold: 1..threshold records, or 1..threshold distinct units, in a cell; a magnitude that counts
  events (an integer column) is a count too: 1..threshold events;
- zeros and 100 % cells, where the policy calls them disclosive (a 100 % cell holds all of its parent's
  records along some dimension: everyone in that group shares the attribute);
- (n,k)-dominance: the n largest unit contributions exceed k % of the cell's magnitude total;
- p %: the rest of the cell, beyond the two largest contributors, is less than p % of the largest, so
  the second largest could estimate the largest to within p %.
The protection a cell needs is a sliding range (τ-Argus): the interval an attacker can derive must be
at least this wide. Counts need `protection_level` (default: the threshold); magnitude cells twice the
upper protection level τ-Argus gives the rule (LPL = UPL), and any other suppressed cell p % of its sum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from extractor.config.policy import Disclosure
from extractor.disclosure.tables.build import Cells

COUNT = "count"


@dataclass
class Primary:
    reasons: dict[str, np.ndarray]  # reason -> cells it makes primary
    required: dict[str, np.ndarray] = field(default_factory=dict)  # column (COUNT or a magnitude) -> width

    @property
    def mask(self) -> np.ndarray:
        out = np.zeros_like(next(iter(self.reasons.values())))
        for m in self.reasons.values():
            out |= m
        return out


def primary_cells(cells: Cells, rules: Disclosure, events: tuple[str, ...] = ()) -> Primary:
    t = rules.threshold
    rows, units = cells.rows, cells.units
    reasons: dict[str, np.ndarray] = {
        "threshold": ((rows >= 1) & (rows <= t)) | ((units >= 1) & (units <= t)),
    }
    small_events = {m: (cells.sums[m] >= 1) & (cells.sums[m] <= t) for m in events}
    if rules.zeros_disclosive:
        reasons["zero"] = rows == 0
    if rules.full_cells_disclosive:
        full = np.zeros(rows.size, dtype=bool)
        for g in range(len(cells.structure.groups)):
            up = cells.structure.parent_cells(g)
            has = up >= 0
            siblings = np.bincount(up[has], minlength=rows.size)
            full[has] |= (rows[has] > 0) & (rows[has] == rows[up[has]]) & (siblings[up[has]] > 1)
        reasons["full"] = full
    frequency = np.zeros(rows.size, dtype=bool)
    for m in reasons.values():
        frequency |= m
    required = {COUNT: np.where(frequency, float(rules.protection_level or t), 0.0)}
    n, k, p = rules.dominance_n, rules.dominance_k, rules.p_percent
    for mag, total in cells.sums.items():
        top = cells.top[mag]
        x1, x2 = top[:, 0], top[:, 1] if top.shape[1] > 1 else np.zeros(rows.size)
        top_n = top[:, :n].sum(axis=1)
        positive = total > 0
        dom_upl = np.where(positive, top_n * 100.0 / k - total, 0.0)
        p_upl = np.where(positive, x1 * p / 100.0 - (total - x1 - x2), 0.0)
        reasons[f"dominance:{mag}"] = positive & (dom_upl > 1e-9)
        reasons[f"p_percent:{mag}"] = positive & (p_upl > 1e-9)
        need = 2 * np.maximum(np.maximum(dom_upl, p_upl), 0.0)
        required[mag] = need
    for mag, small in small_events.items():
        reasons[f"threshold:{mag}"] = small
        required[mag] = np.maximum(required[mag], np.where(small, float(rules.protection_level or t), 0.0))
    primary = Primary(reasons, required)
    mask = primary.mask
    for mag, total in cells.sums.items():
        required[mag] = np.where(mask, np.maximum(required[mag], np.abs(total) * p / 100.0), 0.0)
    return primary
