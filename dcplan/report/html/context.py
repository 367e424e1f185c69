"""Read-only view of a plan dict that tolerates missing or mistyped keys (saved plans may be edited by hand)."""

from __future__ import annotations

from dataclasses import dataclass

from dcplan.report.html.fmt import clean, quantity, short_quantity, to_float

CATEGORIES = ("server", "storage", "switch", "optic", "rack")


def dicts(value) -> list[dict]:
    """The dict entries of a list (anything else in it is ignored)."""
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def listed(value) -> list:
    """A list from the document, or an empty one for anything else."""
    return value if isinstance(value, list) else []


def mapping(value) -> dict:
    """A dict from the document, or an empty one for anything else."""
    return value if isinstance(value, dict) else {}


@dataclass
class Ctx:
    plan: dict
    currency: str
    prefix: str = "c"  # id prefix of the charts of this report (tests address charts by it)

    @classmethod
    def of(cls, plan: dict, prefix: str = "c") -> "Ctx":
        if not isinstance(plan, dict):
            raise TypeError("a plan must be a dict (the JSON written by `dcplan solve --format json`)")
        return cls(plan, clean(plan.get("currency") or "USD"), prefix)

    @property
    def totals(self) -> dict:
        return mapping(self.plan.get("totals"))

    @property
    def sites(self) -> list[dict]:
        return dicts(self.plan.get("sites"))

    @property
    def bom(self) -> list[dict]:
        return dicts(self.plan.get("bom"))

    @property
    def periods(self) -> list[dict]:
        return dicts(self.plan.get("periods"))

    def money(self, value) -> str:
        return quantity(to_float(value), "money", self.currency)

    def short_money(self, value) -> str:
        return short_quantity(value, "money", self.currency)

    def chart(self, name: str) -> str:
        return f"{self.prefix}-{name}"


def categories_of(lines: list[dict]) -> list[str]:
    """Categories in their usual order, then any others the plan has."""
    seen = [clean(x.get("category")) for x in lines]
    return [c for c in CATEGORIES if c in seen] + sorted({c for c in seen if c not in CATEGORIES})


def capex_by(lines: list[dict], key: str, category: str | None = None) -> dict[str, float]:
    """Σ extended_price per value of `key` (site, category, period), optionally of one category."""
    out: dict[str, float] = {}
    for x in lines:
        if category is not None and clean(x.get("category")) != category:
            continue
        name = clean(x.get(key))
        out[name] = out.get(name, 0.0) + (to_float(x.get("extended_price")) or 0.0)
    return out
