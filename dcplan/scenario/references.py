"""Cross-reference checks: duplicate names and ids, and names that refer to nothing.

They read the raw data (not the parsed Scenario), so they run even when the
schema found other mistakes and every problem in a file is reported at once.
Values of the wrong type are skipped here: the schema already reports them.
One check needs parsed model shapes and runs only on a valid Scenario
(`check_semantics`).
"""

from __future__ import annotations

import difflib

from dcplan.scenario import catalog as catalog_module
from dcplan.diagnostics import Diagnostic
from dcplan.scenario.loader import Positions
from dcplan.scenario.schema import InferenceWorkload, Scenario, StorageWorkload, TrainingWorkload


def _entries(container, key: str) -> list[tuple[int, dict]]:
    items = container.get(key) if isinstance(container, dict) else None
    return [(i, item) for i, item in enumerate(items) if isinstance(item, dict)] if isinstance(items, list) else []


def _strings(container, key: str) -> list[tuple[int, str]]:
    items = container.get(key) if isinstance(container, dict) else None
    return [(i, item) for i, item in enumerate(items) if isinstance(item, str)] if isinstance(items, list) else []


def _did_you_mean(word: str, choices) -> str | None:
    close = difflib.get_close_matches(word, sorted(c for c in choices if isinstance(c, str)), n=1)
    return f"did you mean `{close[0]}`?" if close else None


class _Report:
    def __init__(self, positions: Positions):
        self.positions = positions
        self.problems: list[Diagnostic] = []

    def __call__(self, code: str, message: str, path: tuple, *, word: str | None = None, choices=None,
                 key: bool = False) -> None:
        hint = _did_you_mean(word, choices) if word is not None and choices is not None else None
        self.problems.append(self.positions.diagnostic(code, message, path, hint=hint, key=key))


def check_references(data: dict, positions: Positions) -> list[Diagnostic]:
    report = _Report(positions)
    _check_unique(data, report)
    known = _known_ids(data)
    _check_catalog_refs(data, known, report)
    _check_workload_refs(data, known, report)
    return report.problems


def _check_unique(data: dict, report: _Report) -> None:
    for section in ("sites", "workloads", "constraints"):
        seen: dict[str, int] = {}
        for index, item in _entries(data, section):
            name = item.get("name")
            if not isinstance(name, str):
                continue
            if name in seen:
                report("duplicate-name", f"name {name!r} is already used by {section}[{seen[name]}]",
                       (section, index, "name"))
            else:
                seen[name] = index
    seen_ids: dict[str, tuple] = {}
    catalog = data.get("catalog")
    for section in catalog_module.SECTIONS:
        for index, item in _entries(catalog, section):
            item_id = item.get("id")
            if item_id is None and section == "models":
                report("missing-field", "missing required field `id` (catalog entries are named by id)",
                       ("catalog", section, index))
                continue
            if not isinstance(item_id, str):
                continue
            if item_id in seen_ids:
                where = seen_ids[item_id]
                report("duplicate-id", f"id {item_id!r} is already used by catalog.{where[0]}[{where[1]}]",
                       ("catalog", section, index, "id"))
            else:
                seen_ids[item_id] = (section, index)


def _known_ids(data: dict) -> dict[str, set[str]]:
    """Every id the scenario can name, per catalog section: built-in (unless turned off) plus its own."""
    catalog = data.get("catalog") if isinstance(data.get("catalog"), dict) else {}
    base = catalog_module.builtin() if catalog.get("builtin", True) is not False else catalog_module.Catalog()
    known = {section: set(base.section(section)) for section in catalog_module.SECTIONS}
    for section in catalog_module.SECTIONS:
        known[section] |= {item["id"] for _, item in _entries(catalog, section) if isinstance(item.get("id"), str)}
    return known


def _check_catalog_refs(data: dict, known: dict[str, set[str]], report: _Report) -> None:
    catalog = data.get("catalog")
    if not isinstance(catalog, dict):
        return
    purchasable = set().union(*(known[s] for s in catalog_module.PURCHASABLE))
    for field_name in ("only", "exclude"):
        for index, item_id in _strings(catalog, field_name):
            if item_id not in purchasable:
                report("unknown-id", f"no purchasable catalog item {item_id!r}", ("catalog", field_name, index),
                       word=item_id, choices=purchasable)
    prices = catalog.get("prices")
    for item_id in prices if isinstance(prices, dict) else ():
        if item_id not in purchasable:
            report("unknown-id", f"no purchasable catalog item {item_id!r} to price", ("catalog", "prices", item_id),
                   word=item_id, choices=purchasable, key=True)
    for index, server in _entries(catalog, "servers"):
        ref = server.get("accelerators")
        model = ref.get("model") if isinstance(ref, dict) else None
        if isinstance(model, str) and model not in known["accelerators"]:
            report("unknown-accelerator", f"no accelerator {model!r} in the catalog",
                   ("catalog", "servers", index, "accelerators", "model"), word=model, choices=known["accelerators"])
    policies = data.get("policies")
    network = policies.get("network") if isinstance(policies, dict) else None
    switch = network.get("switch") if isinstance(network, dict) else None
    if isinstance(switch, str) and switch not in known["switches"]:
        report("unknown-id", f"no switch {switch!r} in the catalog", ("policies", "network", "switch"),
               word=switch, choices=known["switches"])


def _check_workload_refs(data: dict, known: dict[str, set[str]], report: _Report) -> None:
    site_names = {site["name"] for _, site in _entries(data, "sites") if isinstance(site.get("name"), str)}
    for w_index, workload in _entries(data, "workloads"):
        base = ("workloads", w_index)
        for s_index, site in _strings(workload, "sites"):
            if site not in site_names:
                report("unknown-site", f"no site named {site!r}", base + ("sites", s_index),
                       word=site, choices=site_names)
        is_storage = workload.get("type") == "storage"
        allowed = known["storage"] if is_storage else known["servers"]
        for s_index, item_id in _strings(workload, "servers"):
            if item_id not in allowed:
                report("unknown-id", f"no {'storage node' if is_storage else 'server'} {item_id!r}",
                       base + ("servers", s_index), word=item_id, choices=allowed)
        model = workload.get("model")
        if isinstance(model, str) and workload.get("type") in ("training", "inference") \
                and model not in known["models"]:
            report("unknown-model", f"no model preset {model!r}", base + ("model",), word=model,
                   choices=known["models"])


def check_semantics(scenario: Scenario, positions: Positions) -> list[Diagnostic]:
    """Checks that need parsed values: model shapes, context lengths, precisions the hardware has."""
    report = _Report(positions)
    catalog = catalog_module.effective(scenario.catalog.model_copy(update={"only": None, "exclude": []}))
    names = {w.name: w for w in scenario.workloads}
    _check_providers(scenario, catalog, report)
    for index, workload in enumerate(scenario.workloads):
        if isinstance(workload, StorageWorkload) and workload.colocate_with is not None:
            _check_colocation(workload, index, names, report)
        if not isinstance(workload, (InferenceWorkload, TrainingWorkload)):
            continue
        model = catalog.models.get(workload.model) if isinstance(workload.model, str) else workload.model
        _check_precision(workload, index, catalog, report)
        if model is None or not isinstance(workload, InferenceWorkload):
            continue
        if model.kv_bytes() is None:
            report("incomplete-model", "inference sizing needs the model's `layers`, `kv_heads` and `head_dim` "
                   "(or `kv_bytes_per_token`)", ("workloads", index, "model"))
        length = workload.prompt_tokens + workload.output_tokens
        if model.context_length is not None and length > model.context_length:
            report("context-too-long", f"prompt_tokens + output_tokens = {length:,} exceeds the model's context "
                   f"length of {model.context_length:,} tokens", ("workloads", index, "prompt_tokens"))
    return report.problems


def _check_precision(workload, index: int, catalog, report: _Report) -> None:
    """A precision no candidate accelerator computes at is a mistake in the input, not an empty plan."""
    if workload.precision == "bf16":
        return
    field_name = f"{workload.precision}_flops"
    ids = workload.servers if workload.servers is not None else list(catalog.servers)
    accelerators = {catalog.servers[i].accelerators.model for i in ids
                    if i in catalog.servers and catalog.servers[i].accelerators is not None}
    if any(getattr(catalog.accelerators.get(a), field_name, None) for a in accelerators):
        return
    where = "the workload's `servers`" if workload.servers is not None else "the catalog"
    listed = ", ".join(sorted(accelerators)) or "none"
    report("unsupported-precision", f"precision {workload.precision} needs an accelerator with `{field_name}`; "
           f"no accelerator of {where} has it ({listed})", ("workloads", index, "precision"))


def _check_colocation(workload, index: int, names: dict, report: _Report) -> None:
    target = names.get(workload.colocate_with)
    if isinstance(target, TrainingWorkload):
        return
    what = (f"no workload named {workload.colocate_with!r}" if target is None
            else f"workload {workload.colocate_with!r} is not a training workload")
    report("unknown-workload", f"colocate_with must name a training workload: {what}",
           ("workloads", index, "colocate_with"), word=workload.colocate_with,
           choices=[n for n, w in names.items() if isinstance(w, TrainingWorkload)])


def _check_providers(scenario: Scenario, catalog, report: _Report) -> None:
    """A cloud site's `provider` names a provider with cloud offers in the catalog."""
    providers = {server.provider for server in catalog.servers.values() if server.cloud and server.provider}
    for index, site in enumerate(scenario.sites):
        if site.provider is not None and site.provider not in providers:
            listed = ", ".join(sorted(providers)) or "none"
            report("unknown-provider", f"no cloud offer in the catalog is from provider {site.provider!r} "
                   f"(providers with offers: {listed})", ("sites", index, "provider"), word=site.provider,
                   choices=providers)
