"""A scenario over time: the checks a build-out needs, and the scenario as it stands in one period.

`check_timeline` reports, at their file position, what the schema alone cannot see: a per-period
value without `periods`, a list of the wrong length, installed equipment naming an unknown item or
site or bought after the first period, an availability window outside the periods, a training
`period` that is not a period label.

`in_period(scenario, i)` replaces every per-period value by period i's and leaves out training runs
of other periods, so sizing and the single-period rules work on it unchanged.
"""

from __future__ import annotations

import difflib

from dcplan.diagnostics import Diagnostic
from dcplan.scenario.loader import Positions
from dcplan.scenario.periods import DEMAND_PER_PERIOD, SITE_PER_PERIOD, WHOLE, is_scalar, label_year, values
from dcplan.scenario.schema import Scenario, TrainingWorkload


def labels(scenario: Scenario) -> list[str]:
    """The period labels of a build-out, or [] for a single purchase."""
    return scenario.periods.labels if scenario.periods is not None else []


def check_timeline(scenario: Scenario, positions: Positions, catalog) -> list[Diagnostic]:
    """Every build-out rule the schema cannot check on one field alone, as diagnostics with positions.

    `catalog` is the catalog in effect with `only`/`exclude` ignored (owned items need not be for sale).
    """
    problems: list[Diagnostic] = []

    def report(code: str, message: str, path: tuple, hint: str | None = None) -> None:
        problems.append(positions.diagnostic(code, message, path, hint=hint))

    _check_values(scenario, report)
    _check_installed(scenario, catalog, report)
    _check_availability(scenario, report)
    _check_training_periods(scenario, report)
    _check_assert_periods(scenario, report)
    return problems


def _per_period_fields(scenario: Scenario):
    """(path, value) of every field that may take one value per period."""
    for index, site in enumerate(scenario.sites):
        for name in SITE_PER_PERIOD:
            yield ("sites", index, name), getattr(site, name)
    for index, workload in enumerate(scenario.workloads):
        for name in DEMAND_PER_PERIOD:
            if name in type(workload).model_fields:
                yield ("workloads", index, name), getattr(workload, name)


def _check_values(scenario: Scenario, report) -> None:
    periods = scenario.periods
    for path, value in _per_period_fields(scenario):
        if is_scalar(value):
            continue
        if periods is None:
            report("needs-periods", "a list or {start, growth} gives one value per period; add "
                   "`periods: {start, count, length}` or give one value", path)
        elif isinstance(value, list) and len(value) != periods.count:
            report("period-count", f"expected {periods.count} values, one per period "
                   f"({', '.join(periods.labels)}); found {len(value)}", path)


def _check_installed(scenario: Scenario, catalog, report) -> None:
    sites = [s.name for s in scenario.sites]
    items = sorted(set(catalog.servers) | set(catalog.storage) | set(catalog.switches))
    first = scenario.periods.start if scenario.periods is not None else None
    for index, entry in enumerate(scenario.installed):
        base = ("installed", index)
        if entry.item not in items:
            report("unknown-item", f"no server, storage node or switch {entry.item!r} in the catalog",
                   base + ("item",), _did_you_mean(entry.item, items))
        if entry.site not in sites:
            report("unknown-site", f"no site named {entry.site!r}", base + ("site",),
                   _did_you_mean(entry.site, sites) or f"sites: {', '.join(sites)}")
        if first is not None and entry.since is not None and entry.since > first:
            report("installed-later", f"`since: {entry.since:g}` is after the first period ({first}): "
                   "equipment bought later is part of the plan, not installed", base + ("since",))


def _check_availability(scenario: Scenario, report) -> None:
    periods = scenario.periods
    for section in ("servers", "storage", "switches"):
        for index, item in enumerate(getattr(scenario.catalog, section)):
            window = item.available
            if window is None:
                continue
            path = ("catalog", section, index, "available")
            start, until = window.start, window.until
            if start is not None and until is not None and start > until:
                report("empty-window", f"`from: {start:g}` is after `until: {until:g}`", path)
            elif periods is None:
                report("needs-periods", "`available` applies to build-outs; add `periods:` or remove it", path)
            elif (start is not None and start > periods.start + (periods.count - 1) * periods.length) or \
                    (until is not None and until < periods.start):
                report("outside-periods", f"the window {_window(start, until)} has no period in "
                       f"{periods.labels[0]}..{periods.labels[-1]}", path)


def _window(start, until) -> str:
    return f"{'' if start is None else f'{start:g}'}..{'' if until is None else f'{until:g}'}"


def _check_training_periods(scenario: Scenario, report) -> None:
    for index, workload in enumerate(scenario.workloads):
        if isinstance(workload, TrainingWorkload):
            _check_period_label(scenario, workload.period, ("workloads", index, "period"), report)


def _check_assert_periods(scenario: Scenario, report) -> None:
    for index, entry in enumerate(scenario.assertions):
        _check_period_label(scenario, entry.period, ("assert", index, "period"), report)


def _check_period_label(scenario: Scenario, period, path: tuple, report) -> None:
    """A `period:` (of a training run or an assertion) names one of the periods, and needs `periods:`."""
    if period is None:
        return
    if scenario.periods is None:
        report("needs-periods", "`period` applies to build-outs; add `periods:` or remove it", path)
        return
    names = labels(scenario)
    if f"{period:g}" not in names:
        report("unknown-period", f"{period:g} is not a period; periods: {', '.join(names)}", path,
               _did_you_mean(f"{period:g}", names))


def _did_you_mean(word: str, choices) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean `{close[0]}`?" if close else None


def in_period(scenario: Scenario, index: int) -> Scenario:
    """The scenario as it stands in period `index`: every per-period value that period's, training
    runs of other periods left out, and with them the storage that follows them (`colocate_with`,
    such as the checkpoint storage dcplan derives for a run). Without periods, the scenario itself."""
    if scenario.periods is None:
        return scenario
    periods = scenario.periods
    sites = [site.model_copy(update={name: values(getattr(site, name), periods, name in WHOLE)[index]
                                     for name in SITE_PER_PERIOD}) for site in scenario.sites]
    elsewhere = {w.name for w in scenario.workloads if isinstance(w, TrainingWorkload)
                 and f"{w.period if w.period is not None else periods.start:g}" != periods.labels[index]}
    workloads = []
    for workload in scenario.workloads:
        if workload.name in elsewhere or getattr(workload, "colocate_with", None) in elsewhere:
            continue
        fields = [n for n in DEMAND_PER_PERIOD if n in type(workload).model_fields]
        workloads.append(workload.model_copy(update={n: values(getattr(workload, n), periods, n in WHOLE)[index]
                                                     for n in fields}))
    return scenario.model_copy(update={"sites": sites, "workloads": workloads})


def period_index(scenario: Scenario, label) -> int | None:
    """The index of a period by its label (or year), or None."""
    year = label_year(label)
    if scenario.periods is None or year is None:
        return None
    for i, name in enumerate(scenario.periods.labels):
        if label_year(name) == year:
            return i
    return None
