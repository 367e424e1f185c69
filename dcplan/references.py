"""Cross-reference checks on a schema-valid scenario: duplicates and dangling names.

Runs after the schema, on the parsed Scenario and the catalog in effect, and
reports every problem at once with the position of the offending value.
"""

from __future__ import annotations

import difflib

from . import catalog as catalog_module
from .diagnostics import Diagnostic
from .loader import Positions
from .schema import InferenceWorkload, Scenario, TrainingWorkload


def check_references(scenario: Scenario, positions: Positions) -> list[Diagnostic]:
    problems: list[Diagnostic] = []

    def report(code: str, message: str, path: tuple, choices=None, key=False):
        hint = None
        if choices is not None:
            close = difflib.get_close_matches(str(path and _value(scenario, path)), sorted(choices), n=1)
            hint = f"did you mean `{close[0]}`?" if close else None
        problems.append(positions.diagnostic(code, message, path, hint=hint, key=key))

    _check_unique(scenario, report)
    full = _catalog_without_filters(scenario)
    _check_catalog_refs(scenario, full, report)
    _check_workload_refs(scenario, full, report)
    return problems


def _value(scenario: Scenario, path: tuple):
    node: object = scenario
    for part in path:
        node = node[part] if isinstance(node, (list, dict)) else getattr(node, part)
    return node


def _check_unique(scenario: Scenario, report) -> None:
    for section, items, attr in (("sites", scenario.sites, "name"), ("workloads", scenario.workloads, "name"),
                                 ("constraints", scenario.constraints, "name")):
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            name = getattr(item, attr)
            if name in seen:
                report("duplicate-name", f"{attr} {name!r} is already used by {section}[{seen[name]}]",
                       (section, index, attr))
            else:
                seen[name] = index
    seen_ids: dict[str, tuple] = {}
    for section in catalog_module.SECTIONS:
        for index, item in enumerate(getattr(scenario.catalog, section)):
            if item.id is None:
                report("missing-field", "catalog entries need an `id`", ("catalog", section, index))
                continue
            if item.id in seen_ids:
                where = seen_ids[item.id]
                report("duplicate-id", f"id {item.id!r} is already used by catalog.{where[0]}[{where[1]}]",
                       ("catalog", section, index, "id"))
            else:
                seen_ids[item.id] = (section, index)


def _catalog_without_filters(scenario: Scenario) -> catalog_module.Catalog:
    """All items the scenario can name: built-in plus its own, before only/exclude."""
    section = scenario.catalog.model_copy(update={"only": None, "exclude": [], "prices": {}})
    return catalog_module.effective(section)


def _check_catalog_refs(scenario: Scenario, full: catalog_module.Catalog, report) -> None:
    purchasable = full.purchasable_ids()
    section = scenario.catalog
    for field_name in ("only", "exclude"):
        for index, item_id in enumerate(getattr(section, field_name) or []):
            if item_id not in purchasable:
                report("unknown-id", f"no purchasable catalog item {item_id!r}", ("catalog", field_name, index),
                       purchasable)
    for item_id in section.prices:
        if item_id not in purchasable:
            problems_path = ("catalog", "prices", item_id)
            report("unknown-id", f"no purchasable catalog item {item_id!r} to price", problems_path, None, key=True)
    for index, server in enumerate(section.servers):
        ref = server.accelerators
        if ref is not None and ref.model not in full.accelerators:
            report("unknown-accelerator", f"no accelerator {ref.model!r} in the catalog",
                   ("catalog", "servers", index, "accelerators", "model"), full.accelerators)
    switch = scenario.policies.network.switch
    if switch is not None and switch not in full.switches:
        report("unknown-id", f"no switch {switch!r} in the catalog", ("policies", "network", "switch"), full.switches)


def _check_workload_refs(scenario: Scenario, full: catalog_module.Catalog, report) -> None:
    site_names = {s.name for s in scenario.sites}
    for w_index, workload in enumerate(scenario.workloads):
        base = ("workloads", w_index)
        for s_index, site in enumerate(workload.sites or []):
            if site not in site_names:
                report("unknown-site", f"no site named {site!r}", base + ("sites", s_index), site_names)
        allowed = full.storage if workload.type == "storage" else full.servers
        for s_index, item_id in enumerate(workload.servers or []):
            if item_id not in allowed:
                report("unknown-id", f"no {'storage node' if workload.type == 'storage' else 'server'} {item_id!r}",
                       base + ("servers", s_index), allowed)
        if isinstance(workload, (TrainingWorkload, InferenceWorkload)):
            _check_model(workload, full, base, report)


def _check_model(workload, full: catalog_module.Catalog, base: tuple, report) -> None:
    model = workload.model
    if isinstance(model, str):
        if model not in full.models:
            report("unknown-model", f"no model preset {model!r}", base + ("model",), full.models)
            return
        model = full.models[model]
    if isinstance(workload, InferenceWorkload) and model.kv_bytes() is None:
        report("incomplete-model", "inference sizing needs the model's `layers`, `kv_heads` and `head_dim` "
               "(or `kv_bytes_per_token`)", base + ("model",))
