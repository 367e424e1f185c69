"""The bounded YAML 1.2 loader (dcplan/loader.py), positions, and `--set` overrides."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from dcplan.cli import app
from dcplan.scenario.loader import MAX_ALIASES, MAX_FILE_BYTES, YamlProblem, parse_bytes, parse_text
from dcplan.scenario.overrides import OverrideError, parse_override, split_path
from dcplan.scenario.load import load_scenario


def value(text: str):
    return parse_text(f"v: {text}\n", "t.yaml").data["v"]


# --- YAML 1.2 semantics (PyYAML on its own is YAML 1.1) ------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("15e12", 15e12), ("1e3", 1000.0), ("1.5", 1.5), (".5", 0.5), ("-2.5e-3", -2.5e-3), ("1.", 1.0),
    ("42", 42), ("+42", 42), ("-7", -7), ("0", 0),
    ("0o17", 15), ("0x1F", 31), ("0755", 755), ("08", 8), ("0100", 100),
    ("true", True), ("True", True), ("FALSE", False),
    ("~", None), ("null", None), ("Null", None), ("", None),
])
def test_core_schema_scalars(text, expected):
    result = value(text)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("text", ["no", "yes", "on", "off", "y", "n", "No", "YES", "On",  # YAML 1.1 booleans
                                  "1_000", "0b101", "2024-01-01", "12:30:00", "0o18", "0xZZ", "-0o17",
                                  "nan", "inf", ".Nan", "1e", "e3", "12 MW", "8+3", "=", "<<"])
def test_plain_strings_stay_strings(text):
    assert value(text) == text


@pytest.mark.parametrize("text, expected", [
    ('"15e12"', "15e12"), ("'no'", "no"), ('"~"', "~"), ("'true'", "true"), ('"0o17"', "0o17"),
])
def test_quoted_scalars_are_strings(text, expected):
    assert value(text) == expected


def test_special_floats():
    assert value(".inf") == math.inf and value("-.inf") == -math.inf and value("+.INF") == math.inf
    assert math.isnan(value(".nan")) and math.isnan(value(".NaN"))


def test_block_scalars_are_strings():
    assert parse_text("v: |\n  12\n  MW\n", "t").data == {"v": "12\nMW\n"}
    assert parse_text("v: >-\n  true\n", "t").data == {"v": "true"}


@pytest.mark.parametrize("digits", [25, 400, 5000])
def test_huge_integers_become_floats(digits):
    # beyond 64 bits: read as float (inf beyond the float range); never an exception
    result = value("9" * digits)
    assert isinstance(result, float)
    assert math.isinf(result) == (digits > 308)
    assert value("0x" + "f" * 300) == math.inf
    assert value(str(2**63 - 1)) == 2**63 - 1 and value(str(-2**63)) == -2**63


def test_duplicate_keys_are_errors_and_first_wins():
    doc = parse_text("a: 1\nb: 2\na: 3\n", "t.yaml")
    assert doc.data == {"a": 1, "b": 2}
    [problem] = doc.problems
    assert (problem.code, problem.line, problem.column, problem.path) == ("duplicate-key", 3, 1, "a")
    assert "line 1" in problem.message


def test_keys_are_strings_even_when_they_look_like_numbers():
    assert parse_text("1: a\ntrue: b\n~: c\n", "t").data == {"1": "a", "true": "b", "~": "c"}


def test_tags_are_reported_not_executed():
    doc = parse_text("a: !!python/object/apply:os.system [echo hi]\nb: !!int '3'\n", "t")
    assert [(p.code, p.path) for p in doc.problems] == [("yaml-tag", "a"), ("yaml-tag", "b")]
    assert doc.data == {"a": ["echo hi"], "b": "3"}


def test_aliases_within_bounds_are_expanded():
    doc = parse_text("a: &x {k: 1}\nb: *x\n", "t")
    assert doc.data == {"a": {"k": 1}, "b": {"k": 1}} and not doc.problems


def test_alias_bomb_stops_early():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    with pytest.raises(YamlProblem) as err:
        parse_text("\n".join(lines) + "\n", "bomb.yaml")
    assert err.value.diagnostic.code == "yaml-too-many-aliases"
    assert str(MAX_ALIASES) in err.value.diagnostic.message


def test_recursive_alias_points_at_the_alias():
    with pytest.raises(YamlProblem) as err:
        parse_text("a: 1\nb: &b\n  c: *b\n", "t")
    d = err.value.diagnostic
    assert (d.code, d.line, d.column, d.path) == ("yaml-recursive-alias", 3, 3, "b.c")


def test_merge_key_is_an_error_but_still_merged():
    doc = parse_text("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", "t")
    assert [(p.code, p.line, p.column, p.path) for p in doc.problems] == [("yaml-merge-key", 3, 3, "use.<<")]
    assert doc.data["use"] == {"y": 3, "x": 1}  # no cascade of "missing field" errors; local keys win


def test_quoted_merge_key_is_a_plain_key():
    assert parse_text("'<<': 1\n", "t").data == {"<<": 1}


@pytest.mark.parametrize("text, code", [
    ("", "empty-file"), ("   \n\n", "empty-file"), ("# only\n# comments\n", "empty-file"),
    ("a: [1, 2\n", "yaml-syntax"), ("a:\n\t- 1\n", "yaml-syntax"), ("a: 1\n---\nb: 2\n", "yaml-syntax"),
    ("a: *nowhere\n", "yaml-syntax"), ("? [a, b]\n: 1\n", "yaml-key"), ("[" * 100 + "]" * 100, "yaml-too-deep"),
    ("[" * 300_000 + "]" * 300_000, "yaml-too-deep"),  # segfaulted in libyaml's C composer
])
def test_bad_text_raises_a_yaml_problem(text, code):
    with pytest.raises(YamlProblem) as err:
        parse_text(text, "t.yaml")
    assert err.value.diagnostic.code == code
    assert err.value.diagnostic.file == "t.yaml"


@pytest.mark.parametrize("raw, code, line, column", [
    (b"a: 1\nb: \x00\n", "not-text", 2, 4),
    (b"a: 1\nb: caf\xe9\n", "not-utf8", 2, 7),
    (b"x" * (MAX_FILE_BYTES + 1), "file-too-large", None, None),
])
def test_bad_bytes(raw, code, line, column):
    with pytest.raises(YamlProblem) as err:
        parse_bytes(raw, "t.yaml")
    d = err.value.diagnostic
    assert (d.code, d.line, d.column) == (code, line, column)


def test_utf8_bom_is_ignored():
    doc = parse_bytes("\ufeffa: 1\n".encode(), "t")
    assert doc.data == {"a": 1} and doc.positions.keys[("a",)] == (1, 1)


# --- positions ---------------------------------------------------------------------------------

POSITIONED = """\
dcplan: 1
sites:
  - name: ash1
    power: 12 MW
  - {name: fra1, power: "8 MW"}
workloads:
  - name: etl
    vcpus: [1, 2,
            3]
"""


@pytest.mark.parametrize("path, key_at, value_at", [
    (("dcplan",), (1, 1), (1, 9)),
    (("sites",), (2, 1), (3, 3)),
    (("sites", 0, "name"), (3, 5), (3, 11)),
    (("sites", 0, "power"), (4, 5), (4, 12)),
    (("sites", 1, "name"), (5, 6), (5, 12)),
    (("sites", 1, "power"), (5, 18), (5, 25)),
    (("workloads", 0, "vcpus"), (8, 5), (8, 12)),
])
def test_positions_of_keys_and_values(path, key_at, value_at):
    positions = parse_text(POSITIONED, "p.yaml").positions
    assert positions.keys[path] == key_at
    assert positions.values[path] == value_at


def test_positions_of_list_items_and_fallback_to_ancestor():
    positions = parse_text(POSITIONED, "p.yaml").positions
    assert positions.values[("sites", 1)] == (5, 5)
    assert positions.values[("workloads", 0, "vcpus", 2)] == (9, 13)
    assert positions.of(("sites", 0, "racks")) == (3, 5)  # missing key: the mapping that lacks it
    assert positions.of(("nowhere", 3)) == (1, 1)


def test_crlf_line_endings_keep_positions():
    positions = parse_text(POSITIONED.replace("\n", "\r\n"), "p.yaml").positions
    assert positions.values[("sites", 0, "power")] == (4, 12)


# --- --set overrides -------------------------------------------------------------------------

SCENARIO = """\
dcplan: 1
name: demo
catalog:
  builtin: false
  servers:
    - {id: cpu-2s, price: 30000, power: 1.2 kW, rack_units: 1, vcpus: 384}
sites:
  - name: ash1
    power: 12 MW
    racks: 400
    rack_power: 40 kW
  - {name: fra1, power: 8 MW, racks: 200, rack_power: 30 kW}
workloads:
  - name: etl
    type: cpu
    vcpus: 4000
    memory: 16 TB
"""


@pytest.fixture()
def scenario_file(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def load(path, *overrides):
    return load_scenario(path, list(overrides))


def test_set_by_index(scenario_file):
    result = load(scenario_file, "sites.0.power=6 MW", "sites[1].racks=10")
    assert result.ok
    assert result.scenario.sites[0].power == 6000 and result.scenario.sites[1].racks == 10


def test_set_by_name_and_id(scenario_file):
    result = load(scenario_file, "workloads.etl.vcpus=8", "sites.fra1.pue=1.1", "catalog.servers.cpu-2s.price=1")
    assert result.ok, result.diagnostics
    assert result.scenario.workloads[0].vcpus == 8
    assert result.scenario.sites[1].pue == 1.1
    assert result.scenario.catalog.servers[0].price == 1


def test_set_creates_missing_mappings_and_last_wins(scenario_file):
    result = load(scenario_file, "policies.network.dual_homed=true", "horizon=5 years", "horizon=6 years")
    assert result.ok
    assert result.scenario.policies.network.dual_homed is True
    assert result.scenario.horizon == 6


def test_set_values_follow_yaml_12(scenario_file):
    result = load(scenario_file, "name=no", "workloads.0.vcpus=0o17", "sites.0.racks=0755")
    assert result.ok
    assert result.scenario.name == "no" and result.scenario.workloads[0].vcpus == 15
    assert result.scenario.sites[0].racks == 755
    [d] = load(scenario_file, "description=15e12").diagnostics  # a number, not a string
    assert d.code == "bad-type"


@pytest.mark.parametrize("override, words", [
    ("sites.5.power=1 MW", ["sites has 2 entries", "index 5 is out of range"]),
    ("workloads.nope.vcpus=1", ["no entry named 'nope'"]),
    ("sites.0.power.value=1", ["single value"]),
    ("name=[unclosed", ["YAML syntax error"]),
    ("name=!!python/name:os.system", ["tags"]),
    ("name={a: 1, a: 2}", ["duplicate key"]),
    ("name=#comment", ["only a YAML comment"]),
    ("sites.0.power", ["expected PATH=VALUE"]),
    ("=6 MW", ["PATH before '=' is empty"]),
    ("sites.0.power=", ["VALUE after '=' is empty"]),
    ("sites..power=1", ["cannot read path"]),
])
def test_bad_overrides(scenario_file, override, words):
    result = load(scenario_file, override)
    assert result.scenario is None
    [d] = [d for d in result.diagnostics if d.code == "bad-override"]
    assert d.file == "--set" and d.line is None
    for word in words:
        assert word in d.message


@pytest.mark.parametrize("override, code, path, words", [
    ("sites.0.power=12 MWh", "bad-quantity", "sites[0].power", ["an energy"]),
    ("sites.0.racks=yes", "bad-type", "sites[0].racks", ["whole number", "'yes'"]),
    ("sites.0.racks=\"400\"", "bad-type", "sites[0].racks", ["whole number"]),
    ("sites.ash1.powr=6 MW", "unknown-key", "sites[0].powr", ["unknown key"]),
    ("workloads.etl.type=trainig", "bad-choice", "workloads[0].type", ["trainig"]),
    ("sites=[]", "too-few", "sites", []),
    ("catalog.builtin=no", "bad-type", "catalog.builtin", ["true or false"]),
])
def test_override_values_are_validated_like_the_file(scenario_file, override, code, path, words):
    result = load(scenario_file, override)
    assert result.scenario is None
    [d] = result.diagnostics
    assert (d.code, d.path) == (code, path)
    assert "--set" in d.message  # the value came from the command line, not from a line of the file
    assert d.line is None and d.column is None
    for word in words:
        assert word in d.message


def test_override_hint_still_suggests(scenario_file):
    [d] = load(scenario_file, "sites.ash1.powr=6 MW").diagnostics
    assert d.hint == "did you mean `power`?"


def test_errors_elsewhere_keep_their_file_positions(scenario_file):
    scenario_file.write_text(SCENARIO.replace("racks: 400", "racks: true"), encoding="utf-8")
    result = load(scenario_file, "sites.1.power=12 MWh")
    found = {(d.path, d.line, d.column) for d in result.diagnostics}
    assert found == {("sites[0].racks", 10, 12), ("sites[1].power", None, None)}


def test_parse_override_and_split_path():
    assert parse_override("sites.0.power=6 MW") == ("sites.0.power", "6 MW")
    assert parse_override("a=b=c") == ("a", "b=c")
    assert parse_override("x=[1, 2]") == ("x", [1, 2])
    assert parse_override("x=~") == ("x", None)
    assert split_path("workloads[2].deadline") == ["workloads", 2, "deadline"]
    assert split_path("sites.0.power") == ["sites", 0, "power"]
    assert split_path("workloads.chat.requests_per_s") == ["workloads", "chat", "requests_per_s"]
    assert split_path("sites[0][1]") == ["sites", 0, 1]
    with pytest.raises(OverrideError):
        split_path("a[x]")


@pytest.mark.parametrize("path", ["sites[0]power", "workloads[1]name", ".sites.0", "sites..0", "sites[0]]"])
def test_paths_with_a_missing_or_stray_separator_are_errors(path):
    """`sites[0]power` used to be read as `sites[0].power`: a typo must not change a value silently."""
    with pytest.raises(OverrideError, match="cannot read path"):
        split_path(path)


def test_cli_set(scenario_file):
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", str(scenario_file), "--set", "sites.0.power=6 MW"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["validate", str(scenario_file), "--set", "sites.0.power=6 MWh"])
    assert bad.exit_code == 2
    assert "--set sites[0].power" in bad.stdout
    assert "Traceback" not in bad.output
