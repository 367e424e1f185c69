"""The built-in catalog: complete, sourced, consistent, and true to the published figures (datasheets and papers cited in docs/catalog-sources.md).

Also how a scenario's `catalog:` section changes what may be bought
(`effective()`): prices, only, exclude, and replacing entries by id.
"""

from __future__ import annotations

import math
from importlib import resources

import pytest

from dcplan.scenario import catalog
from dcplan.scenario.catalog import PURCHASABLE, SECTIONS, builtin, effective
from dcplan.scenario.loader import parse_text
from dcplan.scenario.schema import CatalogSection

CAT = builtin()
ENTRIES = [(section, item_id) for section in SECTIONS for item_id in sorted(CAT.section(section))]
ENTRY_IDS = [f"{s}:{i}" for s, i in ENTRIES]


def _raw_catalog_files() -> dict[str, dict]:
    data_dir = resources.files(catalog.__name__) / "data"
    return {entry.name: parse_text(entry.read_text(encoding="utf-8"), entry.name).data
            for entry in sorted(data_dir.iterdir(), key=lambda e: e.name) if entry.name.endswith(".yaml")}


def _numbers(node, path=""):
    if isinstance(node, bool):
        return
    if isinstance(node, (int, float)):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _numbers(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _numbers(value, f"{path}[{index}]")


# --------------------------------------------------------------------------- integrity


@pytest.mark.parametrize(("section", "item_id"), ENTRIES, ids=ENTRY_IDS)
def test_entry_has_source_and_description(section, item_id):
    item = CAT.section(section)[item_id]
    assert item.source and item.source.strip(), f"{item_id} has no source"
    assert item.description and item.description.strip(), f"{item_id} has no description"


@pytest.mark.parametrize(("section", "item_id"), ENTRIES, ids=ENTRY_IDS)
def test_entry_numbers_are_finite_and_not_negative(section, item_id):
    data = CAT.section(section)[item_id].model_dump()
    for path, value in _numbers(data):
        assert math.isfinite(value), f"{item_id}{path} is {value}"
        assert value >= 0, f"{item_id}{path} is negative ({value})"


def test_raw_files_hold_no_nan_inf_or_negative_numbers():
    for name, data in _raw_catalog_files().items():
        for path, value in _numbers(data):
            assert math.isfinite(value) and value >= 0, f"{name}{path} = {value}"


def test_ids_are_unique_across_sections_and_files():
    seen: dict[str, str] = {}
    for name, data in _raw_catalog_files().items():
        for section, items in data.items():
            for index, item in enumerate(items):
                where = f"{name}:{section}[{index}]"
                assert item["id"] not in seen, f"id {item['id']!r} in {where} and {seen[item['id']]}"
                seen[item["id"]] = where
    assert set(seen) == CAT.all_ids()
    assert len(CAT.all_ids()) == sum(len(CAT.section(s)) for s in SECTIONS)


@pytest.mark.parametrize("server_id", sorted(CAT.servers))
def test_every_servers_accelerator_exists(server_id):
    server = CAT.servers[server_id]
    if server.accelerators is not None:
        assert server.accelerators.model in CAT.accelerators, f"{server_id} names {server.accelerators.model!r}"
        assert server.accelerators.count >= 1


def test_every_purchasable_item_draws_power_and_fits_a_rack():
    for section in PURCHASABLE:
        for item_id, item in CAT.section(section).items():
            assert item.power > 0, item_id
            assert item.rack_units <= 64, item_id


def test_model_presets_have_inference_shapes():
    for model_id, model in CAT.models.items():
        assert model.id == model_id
        assert model.layers and model.kv_heads and model.head_dim and model.hidden_size, model_id
        assert model.active <= model.params, model_id
        assert model.kv_bytes() and model.kv_bytes() > 0, model_id


# --------------------------------------------------------------------------- required entries (the issue)

REQUIRED_ACCELERATORS = ("a100-sxm-80gb", "h100-sxm", "h100-pcie", "h200-sxm", "b200", "gb200", "l40s", "l4",
                         "mi300x", "mi325x", "gaudi3", "tpu-v5e", "tpu-v5p", "tpu-v6e")
REQUIRED_MODELS = ("llama3-8b", "llama3-70b", "llama3-405b", "mixtral-8x7b", "deepseek-v3")


@pytest.mark.parametrize("accelerator_id", REQUIRED_ACCELERATORS)
def test_required_accelerator_present(accelerator_id):
    assert accelerator_id in CAT.accelerators


@pytest.mark.parametrize("model_id", REQUIRED_MODELS)
def test_required_model_present(model_id):
    assert model_id in CAT.models


def test_required_cpu_servers_present():
    cpu = {i: s for i, s in CAT.servers.items() if s.accelerators is None}
    epyc = [i for i, s in cpu.items() if "epyc" in i and s.confidential_computing]
    assert epyc, "no EPYC CPU server with confidential computing (SEV-SNP class)"
    assert any("SEV-SNP" in (cpu[i].description + (cpu[i].note or "")) for i in epyc)
    # No Xeon server: no public Xeon 8480+ price was found, and an unpriced server could never be bought.
    assert all(cpu[i].vcpus > 0 and cpu[i].memory > 0 for i in cpu)


def test_required_storage_and_switches_present():
    assert any("nvme" in i for i in CAT.storage), "no NVMe storage node"
    assert any("hdd" in i for i in CAT.storage), "no HDD storage node"
    assert {"qm9700", "sn5600"} <= set(CAT.switches)


# --------------------------------------------------------------------------- published figures

ACCELERATOR_FACTS = {  # vendor datasheets: dense TFLOP/s, GB, GB/s, W
    "a100-sxm-80gb": dict(bf16_flops=312, fp8_flops=None, hbm=80, hbm_bandwidth=2039, tdp=400,
                          confidential_computing=False),
    "h100-sxm": dict(bf16_flops=989.4, fp8_flops=1978.9, hbm=80, hbm_bandwidth=3350, tdp=700,
                     confidential_computing=True),
    "h100-pcie": dict(bf16_flops=756, hbm=80, hbm_bandwidth=2000, confidential_computing=True),
    "h200-sxm": dict(bf16_flops=989.4, fp8_flops=1978.9, hbm=141, hbm_bandwidth=4800, tdp=700,
                     confidential_computing=True),
    "b200": dict(bf16_flops=2250, fp8_flops=4500, hbm=180, confidential_computing=True),
    "gb200": dict(bf16_flops=2500, fp8_flops=5000, hbm=186, hbm_bandwidth=8000),
    "l40s": dict(bf16_flops=362.05, fp8_flops=733, hbm=48, hbm_bandwidth=864, tdp=350, confidential_computing=False),
    "l4": dict(bf16_flops=121, fp8_flops=242.5, hbm=24, hbm_bandwidth=300, tdp=72, confidential_computing=False),
    "mi300x": dict(bf16_flops=1307.4, fp8_flops=2614.9, hbm=192, hbm_bandwidth=5300, tdp=750),
    "mi325x": dict(bf16_flops=1307.4, fp8_flops=2614.9, hbm=256, hbm_bandwidth=6000),
    "gaudi3": dict(bf16_flops=1835, fp8_flops=1835, hbm=128),
    "tpu-v5e": dict(bf16_flops=197, hbm=16, hbm_bandwidth=819),
    "tpu-v5p": dict(bf16_flops=459, hbm_bandwidth=2765),
    "tpu-v6e": dict(bf16_flops=918, hbm=32, hbm_bandwidth=1638),
}


@pytest.mark.parametrize("accelerator_id", sorted(ACCELERATOR_FACTS))
def test_accelerator_matches_facts(accelerator_id):
    item = CAT.accelerators[accelerator_id]
    for name, expected in ACCELERATOR_FACTS[accelerator_id].items():
        actual = getattr(item, name)
        if expected is None or isinstance(expected, bool):
            assert actual is expected, f"{accelerator_id}.{name} = {actual!r}, the datasheet says {expected!r}"
        else:
            assert actual == pytest.approx(expected, rel=1e-9), f"{accelerator_id}.{name}"


def test_b200_hbm_bandwidth_is_one_of_the_published_figures():
    assert CAT.accelerators["b200"].hbm_bandwidth in (pytest.approx(7700), pytest.approx(8000))


def test_gaudi3_bandwidth_is_one_of_the_published_figures():
    assert CAT.accelerators["gaudi3"].hbm_bandwidth in (pytest.approx(3670), pytest.approx(3700))


SERVER_FACTS = {  # system datasheets: kW, rack units, accelerators
    "h100-sxm-8": dict(power=10.2, rack_units=8, accelerators=("h100-sxm", 8)),
    "b200-8": dict(power=14.3, rack_units=10, accelerators=("b200", 8)),
    "gb200-nvl72": dict(power=120, accelerators=("gb200", 72)),
}


@pytest.mark.parametrize("server_id", sorted(SERVER_FACTS))
def test_server_matches_facts(server_id):
    item = CAT.servers[server_id]
    facts = dict(SERVER_FACTS[server_id])
    model, count = facts.pop("accelerators")
    assert (item.accelerators.model, item.accelerators.count) == (model, count)
    for name, expected in facts.items():
        assert getattr(item, name) == pytest.approx(expected), f"{server_id}.{name}"


def test_switches_match_facts():
    assert (CAT.switches["qm9700"].ports, CAT.switches["qm9700"].port_speed, CAT.switches["qm9700"].rack_units) \
        == (64, pytest.approx(400), 1)
    assert (CAT.switches["sn5600"].ports, CAT.switches["sn5600"].port_speed, CAT.switches["sn5600"].rack_units) \
        == (64, pytest.approx(800), 2)


MODEL_FACTS = {  # Hugging Face config.json files: params (±1 %), layers, hidden, KV heads, head dim, KV bytes/token at BF16
    "llama3-8b": (8.03e9, 8.03e9, 32, 4096, 8, 128, 131072),
    "llama3-70b": (70.55e9, 70.55e9, 80, 8192, 8, 128, 327680),
    "llama3-405b": (404.65e9, 404.65e9, 126, 16384, 8, 128, 516096),
    "mixtral-8x7b": (46.7e9, 12.9e9, 32, 4096, 8, 128, 131072),
    "deepseek-v3": (671e9, 37e9, 61, 7168, None, None, 70272),
}


@pytest.mark.parametrize("model_id", sorted(MODEL_FACTS))
def test_model_matches_facts(model_id):
    params, active, layers, hidden, kv_heads, head_dim, kv_bytes = MODEL_FACTS[model_id]
    model = CAT.models[model_id]
    assert model.params == pytest.approx(params, rel=0.01)
    assert model.active == pytest.approx(active, rel=0.01)
    assert (model.layers, model.hidden_size) == (layers, hidden)
    if kv_heads is not None:
        assert (model.kv_heads, model.head_dim) == (kv_heads, head_dim)
    assert model.kv_bytes(2.0) == pytest.approx(kv_bytes)


# --------------------------------------------------------------------------- effective()


def _section(**data) -> CatalogSection:
    return CatalogSection.model_validate(data)


def test_effective_default_is_the_builtin_catalog():
    cat = effective(_section())
    for section in SECTIONS:
        assert cat.section(section) == CAT.section(section)


def test_effective_applies_price_overrides_without_touching_builtin():
    before = CAT.servers["epyc-9654-2s"].price
    cat = effective(_section(prices={"epyc-9654-2s": 35000, "h100-sxm-8": 310000}))
    assert cat.servers["epyc-9654-2s"].price == 35000
    assert cat.servers["h100-sxm-8"].price == 310000
    assert builtin().servers["epyc-9654-2s"].price == before
    assert cat.servers["h100-sxm-8"].power == CAT.servers["h100-sxm-8"].power


def test_effective_only_restricts_purchasable_items_not_specifications():
    cat = effective(_section(only=["h100-sxm-8", "qm9700"]))
    assert cat.purchasable_ids() == {"h100-sxm-8", "qm9700"}
    assert cat.accelerators == CAT.accelerators
    assert cat.models == CAT.models


def test_effective_exclude_removes_items():
    cat = effective(_section(exclude=["h100-sxm-8", "sn5600"]))
    assert "h100-sxm-8" not in cat.servers and "sn5600" not in cat.switches
    assert cat.purchasable_ids() == CAT.purchasable_ids() - {"h100-sxm-8", "sn5600"}


def test_effective_replaces_entries_by_id_and_adds_new_ones():
    replacement = {"id": "h100-sxm-8", "description": "our negotiated HGX H100", "price": 250000,
                   "power": "9 kW", "rack_units": 8, "accelerators": {"model": "h100-sxm", "count": 8}}
    extra = {"id": "my-cpu-1u", "description": "in-house CPU box", "price": 9000, "power": "600 W",
             "rack_units": 1, "vcpus": 128, "memory": "512 GB"}
    cat = effective(_section(servers=[replacement, extra]))
    assert cat.servers["h100-sxm-8"].price == 250000
    assert cat.servers["h100-sxm-8"].power == pytest.approx(9.0)
    assert cat.origin["h100-sxm-8"] == "scenario" and cat.origin["my-cpu-1u"] == "scenario"
    assert cat.servers["my-cpu-1u"].power == pytest.approx(0.6)
    assert cat.origin["h200-sxm-8"] == "built-in"
    assert CAT.servers["h100-sxm-8"].price != 250000


def test_effective_prices_apply_to_replacing_entries():
    replacement = {"id": "l4-8", "description": "l4 box", "price": 1, "power": 2, "rack_units": 2,
                   "accelerators": {"model": "l4", "count": 8}}
    cat = effective(_section(servers=[replacement], prices={"l4-8": 30000}))
    assert cat.servers["l4-8"].price == 30000


def test_effective_without_builtin_holds_only_the_scenarios_entries():
    accelerator = {"id": "x1", "bf16_flops": 100, "hbm": "40 GB", "hbm_bandwidth": "1 TB/s"}
    server = {"id": "x1-4", "price": 1000, "power": 2, "rack_units": 2, "accelerators": {"model": "x1", "count": 4}}
    cat = effective(_section(builtin=False, accelerators=[accelerator], servers=[server]))
    assert cat.all_ids() == {"x1", "x1-4"}
    assert cat.accelerators["x1"].hbm_bandwidth == pytest.approx(1000)


def test_every_built_in_item_is_priced_and_dated_or_leased_at_a_dated_price():
    """A price without a date cannot be judged; an unpriced item could never be bought. TPUs are had only as
    cloud offers (leased at a dated hourly price); the H800 node, never sold where public prices are quoted, is
    not shipped (the H800 accelerator is, and a planner defines the node)."""
    items = [*CAT.servers.values(), *CAT.storage.values(), *CAT.switches.values()]
    for item in items:
        if getattr(item, "cloud", False):  # a cloud offer is leased, never bought: its lease is dated
            assert item.price is None and item.lease.price_date and item.lease.source, item.id
        elif item.price is None:
            assert ("Cloud-only" in (item.note or "") and item.rack_units == 0) or \
                "catalog.prices." + item.id in (item.note or ""), item.id
        else:
            assert item.price_date and item.source, item.id
    assert {i.id for i in items if i.price is None and not getattr(i, "cloud", False)} == set()
