"""Property tests: on ANY input the loader returns diagnostics, never raises.

`load_scenario` on arbitrary text or bytes, and on mutations of a rich valid
scenario (a key deleted, renamed or given a random value, a line duplicated,
the text truncated), returns a LoadResult whose scenario is None or valid, and
every diagnostic has a code and a message. Kept to ~200 examples per property
so the suite stays quick on a 2-core machine.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dcplan.diagnostics import Diagnostic
from dcplan.scenario.loader import parse_text
from dcplan.scenario.schema import Scenario
from dcplan.scenario.load import LoadResult
from dcplan.usecases.validate import validate_scenario

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

BASE = """\
dcplan: 1
name: fuzz-base
horizon: 4 years
objective: {tco: 1, carbon: 80}
limits: {capex: 250e6, power: 20 MW}
solver: {engine: auto, time_limit: 60 s, gap: 0.001}
catalog:
  builtin: false
  exclude: [cpu-2s]
  prices: {gpu-x-8: 310000}
  accelerators:
    - {id: gpu-x, bf16_flops: 989 TFLOP/s, fp8_flops: 1979 TFLOP/s, hbm: 80 GB, hbm_bandwidth: 3.35 TB/s}
  servers:
    - id: gpu-x-8
      price: 300000
      power: 10.2 kW
      idle_power: 3 kW
      rack_units: 8
      accelerators: {model: gpu-x, count: 8}
      vcpus: 224
      memory: 2 TB
      nics: {count: 8, speed: 400 Gb/s}
      confidential_computing: true
      attrs: {security_score: 2}
    - {id: cpu-2s, price: 30000, power: 1.2 kW, rack_units: 1, vcpus: 384, memory: 1536 GB}
  storage:
    - {id: nvme-node, price: 60000, power: 1.2 kW, rack_units: 2, capacity: 368 TB, throughput: 25 GB/s}
  switches:
    - {id: sw64, ports: 64, port_speed: 400 Gb/s, price: 30000, power: 1.7 kW, rack_units: 1}
  models:
    - {id: tiny-model, params: 8e9, layers: 32, kv_heads: 8, head_dim: 128}
sites:
  - name: ash1
    power: 12 MW
    pue: 1.25
    racks: 400
    rack_power: 40 kW
    carbon_intensity: 0.35 kg/kWh
  - {name: fra1, power: 8 MW, racks: 200, rack_power: 30 kW}
workloads:
  - name: pretrain
    type: training
    model: tiny-model
    tokens: 15e12
    deadline: 90 days
    sites: [ash1]
  - name: chat
    type: inference
    model: tiny-model
    requests_per_s: 40
    prompt_tokens: 2000
    output_tokens: 300
    max_tpot: 50 ms
    availability: 0.999
    security: confidential
    spares: N+2
  - {name: etl, type: cpu, vcpus: 4000, memory: 16 TB, average_load: 40%}
  - name: lake
    type: storage
    capacity: 5 PB
    throughput: 100 GB/s
    durability: {erasure: 8+3}
policies:
  network: {dual_homed: true, switch: sw64}
  redundancy: {mttr: 72 h}
  security: {isolate: [restricted]}
constraints:
  - {name: security-floor, sum: attrs.security_score, where: {category: server}, min: 0}
  - {name: scored, sum: security_score, where: {security_score: 2, site: [ash1, fra1]}, max: 1000}
  - {name: rack-budget, sum: price, where: {category: [rack, switch], id: [rack, sw64]}, max: 1e7}
  - {name: gpu-count, sum: accelerators, where: {id: gpu-x-8, confidential_computing: true}, max: 4096}
"""
BASE_DATA = parse_text(BASE, "base").data
BASE_LINES = BASE.splitlines(keepends=True)

_counter = itertools.count()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _load(workdir: Path, content: str | bytes, overrides=()) -> LoadResult:
    path = workdir / f"case-{next(_counter)}.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
    try:
        # What `dcplan validate` and every solving command run: the loader, then sizing. Never raises.
        return validate_scenario(path, overrides)
    finally:
        path.unlink()


def _check(result: LoadResult) -> None:
    assert isinstance(result, LoadResult)
    for d in result.diagnostics:
        assert isinstance(d, Diagnostic)
        assert d.code and isinstance(d.code, str)
        assert d.message and isinstance(d.message, str)
        assert d.line is None or d.line >= 1
        assert d.column is None or d.column >= 1
    if result.scenario is not None:
        assert isinstance(result.scenario, Scenario)
        assert result.ok and not any(d.is_error for d in result.diagnostics)
    else:
        assert any(d.is_error for d in result.diagnostics), "no scenario, so an error must say why"


def test_base_is_valid(workdir):
    result = _load(workdir, BASE)
    assert result.ok, [d.message for d in result.diagnostics]


# --- arbitrary input -------------------------------------------------------------------------

_YAML_PIECES = ["\n", "  ", "- ", ": ", "{", "}", "[", "]", ", ", "#", "&a ", "*a", "<<: ", "!!str ", "!x ",
                "? ", "---\n", "...\n", "|\n  ", ">-\n  ", "'", '"', "\t", "~", "null", "yes", "no", "0o17",
                "0x1F", "1e400", ".nan", "-.inf", "12 MW", "90 days", "dcplan: 1\n", "name: x\n", "sites:\n",
                "workloads:\n", "  - name: a\n", "type: cpu\n", "vcpus: 4\n", "%YAML 1.2\n", "\ufeff", "\x85",
                "\u2028", "é", "\x00", "\x07"]
yaml_like_text = st.lists(st.sampled_from(_YAML_PIECES), max_size=40).map("".join)


@SETTINGS
@given(st.one_of(st.text(max_size=300), yaml_like_text))
def test_arbitrary_text_never_raises(workdir, text):
    _check(_load(workdir, text))


@SETTINGS
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(workdir, raw):
    _check(_load(workdir, raw))


# --- mutations of a valid scenario -----------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from([2**63, -2**63 - 1, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "12 MW", "-1 kW", "90 days", "5 PB", "400 Gb/s", "40%", "150%", "yes", "no", "on",
                     "0755", "0o17", "1e400", ".nan", "N+2", "8+3", "ash1", "gpu-x", "gpu-x-8", "tiny-model",
                     "training", "inference", "cpu", "storage", "confidential", "12 MWh", "12 parsecs",
                     "1 TiB", "attrs.security_score", "security_score", "quantity", "price", "accelerators",
                     "rack", "server", "servers", "switch", "categroy", "description", "x" * 200]),
    st.text(max_size=20),
)
keys = st.sampled_from(["name", "type", "id", "power", "min", "x", "model", "count", "category", "site", "sum",
                        "where", "security_score"]) | st.text(max_size=8)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=10)


def _paths(node, prefix=()):
    """Every path to a value in the data (not the root)."""
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, child in items:
        yield prefix + (key,)
        yield from _paths(child, prefix + (key,))


ALL_PATHS = list(_paths(BASE_DATA))
DICT_KEY_PATHS = [p for p in ALL_PATHS if isinstance(p[-1], str)]


def test_catalog_model_without_id(workdir):
    text = BASE.replace("- {id: tiny-model, params: 8e9", "- {params: 8e9")
    result = _load(workdir, text)
    _check(result)
    assert "missing-field" in [d.code for d in result.diagnostics]


def _parent(data, path):
    for part in path[:-1]:
        data = data[part]
    return data


def _dump(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@SETTINGS
@given(st.sampled_from(ALL_PATHS))
def test_deleting_a_value(workdir, path):
    data = copy.deepcopy(BASE_DATA)
    del _parent(data, path)[path[-1]]
    _check(_load(workdir, _dump(data)))


@SETTINGS
@given(st.sampled_from(ALL_PATHS), values)
def test_replacing_a_value(workdir, path, value):
    data = copy.deepcopy(BASE_DATA)
    _parent(data, path)[path[-1]] = value
    _check(_load(workdir, _dump(data)))


@SETTINGS
@given(st.sampled_from(DICT_KEY_PATHS), st.text(min_size=1, max_size=12))
def test_renaming_a_key(workdir, path, new_key):
    data = copy.deepcopy(BASE_DATA)
    parent = _parent(data, path)
    parent[new_key] = parent.pop(path[-1])
    _check(_load(workdir, _dump(data)))


@SETTINGS
@given(st.integers(min_value=0, max_value=len(BASE_LINES) - 1), st.integers(min_value=0, max_value=len(BASE_LINES)))
def test_duplicating_a_line(workdir, line, where):
    lines = list(BASE_LINES)
    lines.insert(where, lines[line])
    _check(_load(workdir, "".join(lines)))


@SETTINGS
@given(st.integers(min_value=0, max_value=len(BASE)))
def test_truncating_the_text(workdir, length):
    _check(_load(workdir, BASE[:length]))


@SETTINGS
@given(st.integers(min_value=0, max_value=len(BASE) - 1), st.sampled_from(_YAML_PIECES))
def test_inserting_yaml_syntax(workdir, offset, piece):
    _check(_load(workdir, BASE[:offset] + piece + BASE[offset:]))


dotted_paths = st.sampled_from(ALL_PATHS).map(lambda p: ".".join(str(x) for x in p))
# The same paths with brackets for indices and a random separator before each name ("", ".", "..", "]"):
# `sites[0]power` must be an error, never read as sites[0].power.
bracketed_paths = st.builds(
    lambda path, seps: "".join((f"[{part}]" if isinstance(part, int) else (sep if i else "") + str(part))
                               for i, (part, sep) in enumerate(zip(path, seps))),
    st.sampled_from(ALL_PATHS), st.lists(st.sampled_from(["", ".", "..", "]"]), min_size=12, max_size=12))
override_texts = st.one_of(st.text(max_size=30), st.builds("{}={}".format, dotted_paths, st.text(max_size=15)),
                           st.builds("{}={}".format, dotted_paths, st.sampled_from(_YAML_PIECES)),
                           st.builds("{}={}".format, bracketed_paths, scalars.map(str)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(override_texts, max_size=3))
def test_arbitrary_overrides_never_raise(workdir, overrides):
    _check(_load(workdir, BASE, overrides))
