"""The hardware catalog in effect: built-in data files merged with a scenario's own entries.

Built-in entries live in `data/*.yaml`, each with its `source`. A scenario may
add entries, replace a built-in entry by reusing its id, re-price items, and
restrict what may be bought (`only`, `exclude`). Accelerators and model
presets are specifications, never bought by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from dcplan.scenario.catalog_schema import Accelerator, CatalogFile, ModelSpec, Server, StorageNode, Switch

SECTIONS = ("accelerators", "servers", "storage", "switches", "models")
PURCHASABLE = ("servers", "storage", "switches")
CATEGORY_OF_SECTION = {"servers": "server", "storage": "storage", "switches": "switch"}


@dataclass(frozen=True)
class Catalog:
    accelerators: dict[str, Accelerator] = field(default_factory=dict)
    servers: dict[str, Server] = field(default_factory=dict)
    storage: dict[str, StorageNode] = field(default_factory=dict)
    switches: dict[str, Switch] = field(default_factory=dict)
    models: dict[str, ModelSpec] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)  # id -> "built-in" | "scenario"

    def section(self, name: str) -> dict:
        return getattr(self, name)

    def find(self, item_id: str) -> tuple[str, object] | None:
        for name in SECTIONS:
            if item_id in self.section(name):
                return name, self.section(name)[item_id]
        return None

    def all_ids(self) -> set[str]:
        return {i for name in SECTIONS for i in self.section(name)}

    def purchasable_ids(self) -> set[str]:
        return {i for name in PURCHASABLE for i in self.section(name)}


class BuiltinCatalogError(RuntimeError):
    """The embedded data files are broken: a bug in dcplan, not in the user's input."""


@lru_cache(maxsize=1)
def builtin() -> Catalog:
    from dcplan.scenario.loader import YamlProblem, parse_text

    sections: dict[str, dict] = {name: {} for name in SECTIONS}
    origin: dict[str, str] = {}
    data_dir = resources.files(__package__) / "data"
    for entry in sorted(data_dir.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        try:
            document = parse_text(entry.read_text(encoding="utf-8"), f"catalog/{entry.name}")
            parsed = CatalogFile.model_validate(document.data)
        except (YamlProblem, ValueError) as err:
            raise BuiltinCatalogError(f"built-in catalog file {entry.name} is invalid: {err}") from err
        for name in SECTIONS:
            for item in getattr(parsed, name):
                if item.id in origin:
                    raise BuiltinCatalogError(f"built-in catalog id {item.id!r} is defined twice")
                sections[name][item.id] = item
                origin[item.id] = "built-in"
    return Catalog(**sections, origin=origin)


def effective(section) -> Catalog:
    """The catalog a scenario buys from, given its validated `catalog:` section.

    Reference checks (unknown ids in only/exclude/prices) happen in references.py;
    here unknown ids are ignored so this never fails on a validated scenario.
    """
    base = builtin() if section.builtin else Catalog()
    sections = {name: dict(base.section(name)) for name in SECTIONS}
    origin = dict(base.origin)
    for name in SECTIONS:
        for item in getattr(section, name):
            if item.id is None:  # a model entry without id: reported by the reference checks
                continue
            sections[name][item.id] = item
            origin[item.id] = "scenario"
    for item_id, price in section.prices.items():
        for name in PURCHASABLE:
            if item_id in sections[name]:
                sections[name][item_id] = replace_price(sections[name][item_id], price)
    for name in PURCHASABLE:
        sections[name] = {i: item for i, item in sections[name].items()
                          if (section.only is None or i in section.only) and i not in section.exclude}
    return Catalog(**sections, origin=origin)


def replace_price(item, price: float):
    return item.model_copy(update={"price": price})


__all__ = ["Catalog", "builtin", "effective", "SECTIONS", "PURCHASABLE", "CATEGORY_OF_SECTION"]
