"""Names in generic constraints must refer to something: `sum` and every `where` key and value.

A misspelt `where` key (`categroy`), a category that does not exist (`servers`), an unknown id or
site used to match nothing, so a cap was silently ignored; a `sum` naming a field that is not a
number, or an attribute no item has, counted 0. Each is an error at its line, with a "did you mean".

What a name may be (dcplan.rules.item_field and attribute read them the same way):
  where keys  category (server, storage, switch, rack), id, site, or a field or `attrs` entry of
              the items the filter's category and id admit;
  sum         quantity; accelerators (servers); a numeric field of those items; `attrs.NAME`; or a
              bare NAME, which is the item's field when it has one, else its `attrs` entry.
A rack has a quantity and a price (policies.costs.rack_price) only.
"""

from __future__ import annotations

import difflib

from dcplan.diagnostics import Diagnostic
from dcplan.rules import CONSTRAINT_CATEGORIES, FILTER_KEYS, RACK_FIELDS, RackItem, item_field, where_matches
from dcplan.scenario import catalog as catalog_module
from dcplan.scenario.loader import Positions

_SECTION_OF = {"server": "servers", "storage": "storage", "switch": "switches"}


def check_constraint_names(scenario, positions: Positions) -> list[Diagnostic]:
    """Diagnostics for every name in `constraints[].sum` and `where` that refers to nothing."""
    if not scenario.constraints:
        return []
    section = scenario.catalog
    known = catalog_module.effective(section.model_copy(update={"only": None, "exclude": []}))
    offered = catalog_module.effective(section)
    sites = [site.name for site in scenario.sites]
    rack = RackItem(scenario.policies.costs.rack_price)
    problems: list[Diagnostic] = []
    for index, constraint in enumerate(scenario.constraints):
        base = ("constraints", index)
        report = _Reporter(positions, problems)
        scope = _scope(constraint.where, known, rack)
        _check_where(constraint.where, scope, known, sites, base + ("where",), report)
        if not report.found:
            _check_sum(constraint.sum, scope, base + ("sum",), report)
            _check_matches(constraint.where, known, offered, rack, base + ("where",), report)
    return problems


class _Reporter:
    def __init__(self, positions: Positions, problems: list[Diagnostic]):
        self.positions, self.problems, self.found = positions, problems, False

    def __call__(self, message: str, path: tuple, *, word: str | None = None, choices=(), key: bool = False,
                 code: str = "unknown-name", severity: str = "error") -> None:
        close = difflib.get_close_matches(word, sorted(choices), n=1) if word is not None else []
        hint = f"did you mean `{close[0]}`?" if close else None
        self.problems.append(self.positions.diagnostic(code, message, path, key=key, hint=hint, severity=severity))
        self.found = self.found or severity == "error"


def _wanted(value) -> list:
    return value if isinstance(value, list) else [value]


def _scope(where: dict, catalog, rack: RackItem) -> list[tuple[str, str, object]]:
    """(category, id, item) the filter's category and id admit (other keys ignored): the items whose
    fields and attributes its names may use."""
    categories = [c for c in _wanted(where.get("category", list(CONSTRAINT_CATEGORIES))) if c in CONSTRAINT_CATEGORIES]
    ids = _wanted(where["id"]) if "id" in where else None
    items = []
    for category in categories:
        entries = [(rack.id, rack)] if category == "rack" else catalog.section(_SECTION_OF[category]).items()
        items += [(category, item_id, item) for item_id, item in entries if ids is None or item_id in ids]
    return items


def _field_names(scope) -> set[str]:
    """Fields and attributes the items in scope have (racks: price only)."""
    names: set[str] = set()
    for _, _, item in scope:
        if isinstance(item, RackItem):
            names.update(RACK_FIELDS)
        else:
            names.update(n for n in type(item).model_fields if n != "attrs")
            names.update(item.attrs)
    return names


def _check_where(where: dict, scope, catalog, sites: list[str], path: tuple, report: _Reporter) -> None:
    ids = catalog.purchasable_ids() | {RackItem.id}
    for key, value in where.items():
        here = path + (key,)
        if key not in FILTER_KEYS and key not in _field_names(scope):
            choices = set(FILTER_KEYS) | _field_names(scope)
            report(f"`where` key `{key}` is no field or attribute of the items it filters", here, word=key,
                   choices=choices, key=True)
            continue
        allowed = {"category": CONSTRAINT_CATEGORIES, "id": ids, "site": sites}.get(key)
        if allowed is None:
            continue
        for position, wanted in enumerate(_wanted(value)):
            at = here + (position,) if isinstance(value, list) else here
            if wanted not in allowed:
                what = {"category": "category", "id": "purchasable item", "site": "site"}[key]
                listing = f" (one of {', '.join(allowed)})" if key == "category" else ""
                report(f"no {what} {wanted!r}{listing}", at, word=str(wanted), choices={str(a) for a in allowed})


def _check_sum(name: str, scope, path: tuple, report: _Reporter) -> None:
    if name == "quantity":
        return
    if name == "accelerators":
        if not any(category == "server" for category, _, _ in scope):
            report("`accelerators` counts servers' accelerators, and the filter admits no server", path)
        return
    attribute = name[len("attrs."):] if name.startswith("attrs.") else None
    # What each item in scope gives for the name (None: the item has no such field or attribute).
    values = [item.attrs.get(attribute) if attribute is not None else item_field(item, name) for _, _, item in scope]
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return
    if present:
        report(f"`sum: {name}` names a field that is not a number (it is {_kind(present[0])}); sum a numeric "
               "field, an attribute (attrs.NAME) or quantity", path, code="bad-sum")
        return
    numeric = {"quantity", *(n for n in _field_names(scope) if _is_number(scope, n))}
    only_racks = scope and all(category == "rack" for category, _, _ in scope)
    detail = "a rack has only quantity and price" if only_racks else \
        "no item the filter admits has it as a field or in its attrs"
    report(f"`sum: {name}` refers to nothing: {detail}", path, word=attribute or name, choices=numeric,
           code="bad-sum")


def _is_number(scope, name: str) -> bool:
    return any(isinstance(item_field(item, name), (int, float)) and not isinstance(item_field(item, name), bool)
               for _, _, item in scope)


def _kind(value) -> str:
    return "true or false" if isinstance(value, bool) else "text" if isinstance(value, str) else "not a number"


def _check_matches(where: dict, known, offered, rack: RackItem, path: tuple, report: _Reporter) -> None:
    """A filter that matches no item can only be a mistake; one that matches only items `only` or
    `exclude` take out of the catalog bounds nothing in this scenario (a warning)."""
    def matches(catalog) -> bool:
        return any(where_matches(where, category, item_id, None, item, ignore_site=True)
                   for category, item_id, item in _scope({}, catalog, rack))

    if not matches(known):
        report("the filter matches no item of the catalog: the constraint would bound nothing", path,
               code="matches-nothing")
    elif not matches(offered):
        report("the filter matches only items the catalog's `only`/`exclude` leave out: the constraint bounds "
               "nothing in this scenario", path, code="matches-nothing", severity="warning")
