"""Check results as text: a rich table for people, JSON for scripts, JUnit XML for CI systems."""

from __future__ import annotations

import re

from dcplan.report.text import json_text, terminal_safe
from dcplan.usecases.check import CheckResult, format_metric, format_share


def render_json(results: list[CheckResult]) -> str:
    return json_text([r.to_dict() for r in results])


_TABLE_COLUMNS = ("result", "file", "status", "capex", "facility power", "carbon", "time", "problems")


def table_rows(results: list[CheckResult]) -> list[tuple[str, ...]]:
    rows = []
    for r in results:
        t = r.totals or {}
        rows.append((r.outcome, r.file, r.status or "-",
                     format_metric(t["capex"], "capex", r.currency) if t else "-",
                     format_metric(t["facility_power_kw"], "facility_power_kw") if t else "-",
                     format_metric(t["carbon_t_per_year"], "carbon_t_per_year") if t else "-",
                     f"{r.seconds:.2f} s", _problems(r)))
    return rows


def _problems(r: CheckResult) -> str:
    if r.outcome == "invalid":
        return f"{len(r.diagnostics)} error(s) in the file"
    if r.outcome == "no_solution":
        return "the solver stopped without a plan"
    if r.status == "infeasible":
        return "infeasible"
    labels = [f"assert {a.name}" for a in r.assertions if not a.passed]
    labels += ["not in the baseline"] if r.not_in_baseline else []
    labels += [f"baseline {b.metric} {format_share(b.increase) if b.increase is not None else 'from 0'}"
               for b in r.baseline if not b.passed]
    return ", ".join(labels)


def render_table(results: list[CheckResult], color: bool = False) -> str:
    """Plain aligned columns, one line per file (no rich: the text goes to files and CI logs as is)."""
    rows = [_TABLE_COLUMNS, *([terminal_safe(c) for c in row] for row in table_rows(results))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_TABLE_COLUMNS))]
    styles = {"passed": "32", "failed": "31", "invalid": "31", "no_solution": "33"}
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        if color and index:
            cells[0] = f"\x1b[1;{styles[row[0]]}m{cells[0]}\x1b[0m"
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# XML 1.0 allows no control characters other than tab, newline and carriage return.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_junit(results: list[CheckResult]) -> str:
    """JUnit XML: one test suite, per file a `plan` case plus one case per assertion and baseline metric.

    Invalid files and solver stops are <error>s; infeasible plans, broken assertions and growth
    past the baseline threshold are <failure>s.
    """
    import xml.etree.ElementTree as ET

    clean = lambda text: _NOT_XML.sub("?", text)  # noqa: E731 - one-line sanitiser
    suite = ET.Element("testsuite", name="dcplan check")
    counts = {"tests": 0, "failures": 0, "errors": 0}

    def case(classname: str, name: str, seconds: float, kind: str | None = None, message: str = "",
             detail: str = "") -> None:
        element = ET.SubElement(suite, "testcase", classname=clean(classname), name=clean(name),
                                time=f"{seconds:.3f}")
        counts["tests"] += 1
        if kind is not None:
            counts["failures" if kind == "failure" else "errors"] += 1
            child = ET.SubElement(element, kind, message=clean(message), type=kind)
            child.text = clean(detail or message)

    for r in results:
        detail = "\n".join(r.messages)
        if r.outcome == "invalid":
            case(r.file, "plan", r.seconds, "error", f"invalid scenario file: {len(r.diagnostics)} error(s)",
                 "\n".join(f"{d.location()}: {d.path + ': ' if d.path else ''}{d.message}" for d in r.diagnostics))
        elif r.outcome == "no_solution":
            case(r.file, "plan", r.seconds, "error", r.messages[0] if r.messages else "no solution", detail)
        elif r.status == "infeasible":
            case(r.file, "plan", r.seconds, "failure", r.messages[0] if r.messages else "infeasible", detail)
        else:
            case(r.file, "plan", r.seconds)
        for a in r.assertions:
            case(r.file, f"assert {a.name}", 0.0, None if a.passed else "failure", a.message)
        for b in r.baseline:
            case(r.file, f"baseline {b.metric}", 0.0, None if b.passed else "failure", b.message)
        if r.not_in_baseline:
            case(r.file, "baseline", 0.0, "failure", next(m for m in r.messages if "baseline has no plan" in m))
    total = sum(r.seconds for r in results)
    suite.set("tests", str(counts["tests"]))
    suite.set("failures", str(counts["failures"]))
    suite.set("errors", str(counts["errors"]))
    suite.set("skipped", "0")
    suite.set("time", f"{total:.3f}")
    root = ET.Element("testsuites", name="dcplan", tests=str(counts["tests"]), failures=str(counts["failures"]),
                      errors=str(counts["errors"]), time=f"{total:.3f}")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
