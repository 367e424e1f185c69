"""A LinearModel (dcplan.model.linear) as text other engines read: CPLEX LP and free MPS (`--save-model`,
bug reports, golden files)."""

from __future__ import annotations

import math

INF = math.inf


def lp_text(model) -> str:
    """CPLEX LP text, with names made LP-safe."""
    safe = [_lp_name(name) for name in model._vname]

    def linear(terms: dict[int, float]) -> str:
        parts = [f"{'+' if c >= 0 else '-'} {abs(c):.12g} {safe[i]}" for i, c in sorted(terms.items())]
        return " ".join(parts) if parts else "0 " + safe[0]

    lines = ["\\ dcplan model", "Minimize", f" obj: {linear(model.objective.terms)}", "Subject To"]
    for row in model.rows:
        name = _lp_name(row.name)
        if row.lo == row.hi:
            lines.append(f" {name}: {linear(row.terms)} = {row.lo:.12g}")
            continue
        if row.lo > -INF:
            lines.append(f" {name}_lo: {linear(row.terms)} >= {row.lo:.12g}")
        if row.hi < INF:
            lines.append(f" {name}_hi: {linear(row.terms)} <= {row.hi:.12g}")
    lines.append("Bounds")
    for lb, ub, name in zip(model._lb, model._ub, safe):
        upper = "+inf" if ub == INF else f"{ub:.12g}"
        lines.append(f" {lb:.12g} <= {name} <= {upper}")
    integers = [name for integer, name in zip(model._int, safe) if integer]
    if integers:
        lines.append("General")
        lines.extend(f" {name}" for name in integers)
    lines.append("End")
    return "\n".join(lines) + "\n"


def mps_text(model) -> str:
    """Free-format MPS text (integer columns between MARKER lines, explicit bounds)."""
    safe = [_lp_name(name) for name in model._vname]
    rows = []  # (index, name, kind, rhs, range) for rows that constrain anything
    for j, row in enumerate(model.rows):
        name = f"{_lp_name(row.name)}_{j}"
        if row.lo == row.hi:
            rows.append((j, name, "E", row.lo, None))
        elif row.lo > -INF and row.hi < INF:
            rows.append((j, name, "G", row.lo, row.hi - row.lo))
        elif row.lo > -INF:
            rows.append((j, name, "G", row.lo, None))
        elif row.hi < INF:
            rows.append((j, name, "L", row.hi, None))
    columns: dict[int, list[tuple[str, float]]] = {i: [] for i in range(len(safe))}
    for i, c in model.objective.terms.items():
        columns[i].append(("obj", c))
    for j, name, _, _, _ in rows:
        for i, c in model.rows[j].terms.items():
            columns[i].append((name, c))
    lines = ["NAME dcplan", "ROWS", " N obj"] + [f" {kind} {name}" for _, name, kind, _, _ in rows]
    lines.append("COLUMNS")
    marker_open = False
    for i, integer in enumerate(model._int):
        if integer != marker_open:
            lines.append(f"    MARKER 'MARKER' '{'INTORG' if integer else 'INTEND'}'")
            marker_open = integer
        entries = columns[i] or [("obj", 0.0)]
        lines.extend(f"    {safe[i]} {row} {c:.17g}" for row, c in entries)
    if marker_open:
        lines.append("    MARKER 'MARKER' 'INTEND'")
    lines.append("RHS")
    lines.extend(f"    rhs {name} {rhs:.17g}" for _, name, _, rhs, _ in rows if rhs)
    if model.objective.constant:
        lines.append(f"    rhs obj {-model.objective.constant:.17g}")
    ranged = [(name, span) for _, name, _, _, span in rows if span is not None]
    if ranged:
        lines.append("RANGES")
        lines.extend(f"    rng {name} {span:.17g}" for name, span in ranged)
    lines.append("BOUNDS")
    for lb, ub, name in zip(model._lb, model._ub, safe):
        lines.append(f" LO bnd {name} {lb:.17g}")
        lines.append(f" PL bnd {name}" if ub == INF else f" UP bnd {name} {ub:.17g}")
    lines.append("ENDATA")
    return "\n".join(lines) + "\n"


_LP_ALLOWED = set("!\"#$%&()/,.;?@_`'{}|~")


def _lp_name(name: str) -> str:
    """`power[site=ash1]` → `power(site_ash1)`: CPLEX LP names allow no brackets or '='."""
    name = name.replace("[", "(").replace("]", ")")
    return "".join(ch if ch.isalnum() or ch in _LP_ALLOWED else "_" for ch in name)
