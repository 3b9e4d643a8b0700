"""Hypercubes: the shapes of suppression that provably hide a cell (τ-Argus's GHMITER idea).

A cube picks, in every dimension group, the cell's own position p and a partner q from the same
additivity relation, where neither belongs to any other relation of the group: two leaves under one
parent (opposite signs), or a leaf and the group total it adds up to (same sign). Its 2^D corners
carry signs d such that every line through a corner meets exactly two corners and balances, so
x + t·d is again a table that agrees with every published cell. That gives an explicit interval:
the cell can rise by the smallest value among the negative corners and fall by the smallest among the
positive ones. A cube with all corners hidden is a certificate (a feasible table, as an LP optimum
would be); choosing cheap cubes is how secondary suppression protects each primary cell.
"""

from __future__ import annotations

from itertools import product

import numpy as np

from extractor.disclosure.tables.structure import Structure


def pair_signs(structure: Structure) -> list[np.ndarray]:
    """Per group, an (m × m) array: 0 where (p, q) cannot form a cube edge, else the sign of q's corner."""
    out = []
    for tree in structure.groups:
        m = tree.size
        parent = tree.parent
        n_rel = np.zeros(m, dtype=int)  # relations each position belongs to (as parent or child)
        n_rel[parent >= 0] += 1
        is_parent = np.zeros(m, dtype=bool)
        is_parent[parent[parent >= 0]] = True
        n_rel[is_parent] += 1
        single = n_rel == 1
        signs = np.zeros((m, m), dtype=np.int8)
        p_idx, q_idx = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
        both = single[p_idx] & single[q_idx] & (p_idx != q_idx)
        siblings = both & (parent[p_idx] == parent[q_idx]) & (parent[p_idx] >= 0)
        child_root = both & ((parent[p_idx] == q_idx) | (parent[q_idx] == p_idx))
        signs[siblings] = -1
        signs[child_root] = 1
        out.append(signs)
    return out


def wide_enough(corners: np.ndarray, sign: np.ndarray, cells: np.ndarray, values: dict[str, np.ndarray],
                required: dict[str, np.ndarray]) -> np.ndarray:
    """The cube's interval: up by the smallest negative corner, down by the smallest positive one."""
    ok = np.ones(cells.size, dtype=bool)
    for col, val in values.items():
        v = np.abs(val[corners])
        up = np.where(sign < 0, v, np.inf).min(axis=1)
        down = np.where(sign > 0, v, np.inf).min(axis=1)
        ok &= up + down >= required[col][cells] - 1e-9
    return ok


def search(structure: Structure, signs: list[np.ndarray], cells: np.ndarray, score: np.ndarray,
           allowed: np.ndarray, values: dict[str, np.ndarray], required: dict[str, np.ndarray],
           k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """For each cell in `cells`, the cheapest valid cube among the k best partners per group.

    score: per-cell cost of using it as a corner (lower is better); allowed: cells that may be corners.
    Returns (corners: cells × 2^D flat indices, -1 rows where none found; cost per cell, inf if none).
    """
    shape = structure.shape
    D = len(shape)
    pos = np.array(np.unravel_index(cells, shape))  # D × P
    P = cells.size
    partners, partner_sign = [], []
    for g in range(D):
        # The line through each cell along g: cost of moving its g-position to each q.
        moved = np.repeat(pos[:, :, None], shape[g], axis=2)  # D × P × m_g
        moved[g] = np.arange(shape[g])[None, :]
        line_cells = np.ravel_multi_index(tuple(moved), shape)  # P × m_g
        sg = signs[g][pos[g]]  # P × m_g
        cost = np.where((sg != 0) & allowed[line_cells], score[line_cells], np.inf)
        kk = min(k, shape[g])
        best = np.argpartition(cost, kk - 1, axis=1)[:, :kk] if shape[g] > kk else np.tile(
            np.arange(shape[g]), (P, 1))
        partners.append(best)  # P × kk positions
        partner_sign.append(np.take_along_axis(sg, best, axis=1))
    choices = list(product(*[range(p.shape[1]) for p in partners]))  # K^D combinations
    corners_sel = list(product((0, 1), repeat=D))  # 0: own position, 1: partner
    best_cost = np.full(P, np.inf)
    best_corners = np.full((P, 2 ** D), -1, dtype=np.int64)
    for combo in choices:
        q = [partners[g][:, combo[g]] for g in range(D)]
        qs = [partner_sign[g][:, combo[g]] for g in range(D)]
        ok = np.all([s != 0 for s in qs], axis=0)
        flat, sign = [], []
        for sel in corners_sel:
            coord = tuple(np.where(sel[g], q[g], pos[g]) for g in range(D))
            flat.append(np.ravel_multi_index(coord, shape))
            sign.append(np.prod([np.where(sel[g], qs[g], 1) for g in range(D)], axis=0))
        flat = np.stack(flat, axis=1)  # P × 2^D
        sign = np.stack(sign, axis=1)
        ok &= allowed[flat].all(axis=1)
        ok &= wide_enough(flat, sign, cells, values, required)
        cost = np.where(ok, score[flat[:, 1:]].sum(axis=1), np.inf)
        better = cost < best_cost
        best_cost[better] = cost[better]
        best_corners[better] = flat[better]
    return best_corners, best_cost


def certified(structure: Structure, signs: list[np.ndarray], cells: np.ndarray, suppressed: np.ndarray,
              values: dict[str, np.ndarray], required: dict[str, np.ndarray], k: int = 4) -> np.ndarray:
    """For each cell, the corners of a cube whose corners are all suppressed (largest partners tried first),
    or a row of -1 where none was found."""
    D = len(structure.shape)
    if cells.size == 0:
        return np.zeros((0, 2 ** D), dtype=np.int64)
    first = next(iter(values.values()))
    score = -np.abs(first)  # prefer large partners: they give the widest intervals
    corners, cost = search(structure, signs, cells, score, suppressed, values, required, k)
    return np.where(np.isfinite(cost)[:, None], corners, -1)


def verify(structure: Structure, signs: list[np.ndarray], cells: np.ndarray, corners: np.ndarray,
           suppressed: np.ndarray, values: dict[str, np.ndarray], required: dict[str, np.ndarray]) -> np.ndarray:
    """Check given cubes (cells × 2^D corner indices, corner 0 the cell itself): valid, hidden, wide enough."""
    shape = structure.shape
    D = len(shape)
    ok = (corners.shape == (cells.size, 2 ** D)) and bool(cells.size)
    if not ok:
        return np.zeros(cells.size, dtype=bool)
    ok = (corners[:, 0] == cells) & (corners >= 0).all(axis=1)
    safe = np.where(corners >= 0, corners, 0)
    pos = np.array(np.unravel_index(cells, shape))
    corner_pos = np.array(np.unravel_index(safe, shape))  # D × P × 2^D
    sign = np.ones(safe.shape, dtype=np.int64)
    for g in range(D):
        # Corners differ from the cell in group g exactly where bit g of the corner number is set.
        bit = ((np.arange(2 ** D) >> (D - 1 - g)) & 1).astype(bool)
        q = corner_pos[g][:, bit]
        same = corner_pos[g][:, ~bit] == pos[g][:, None]
        partner = q[:, :1]
        ok &= same.all(axis=1) & (q == partner).all(axis=1)
        s = signs[g][pos[g], partner[:, 0]]
        ok &= s != 0
        sign[:, bit] *= s[:, None]
    ok &= suppressed[safe].all(axis=1)
    ok &= wide_enough(safe, sign, cells, values, required)
    return ok
