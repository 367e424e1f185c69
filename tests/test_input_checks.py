"""Input that used to slip through validation: every number bounded with its reason, whole numbers
written as floats, names in generic constraints that refer to nothing, and whatever `solve` refuses
refused by `validate` too, at the same position."""

from __future__ import annotations

from pathlib import Path

import pytest

from dcplan.scenario.load import load_scenario

BASE = """\
dcplan: 1
name: demo
catalog:
  builtin: false
  servers:
    - {id: cpu-a, price: 1000, power: 1 kW, rack_units: 1, vcpus: 64}
sites:
  - {name: ash1, power: 12 MW, racks: 400, rack_power: 40 kW}
workloads:
  - {name: etl, type: cpu, vcpus: 4000}
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def diagnostics(tmp_path: Path, text: str, overrides=()) -> list:
    return load_scenario(write(tmp_path, text), overrides).diagnostics


def test_base_is_valid(tmp_path):
    assert diagnostics(tmp_path, BASE) == []


# --------------------------------------------------------------------------- whole numbers


@pytest.mark.parametrize("override", ["workloads.0.vcpus=4e3", "sites.0.racks=4.0e2", "catalog.servers.0.vcpus=6.4e1",
                                      "workloads.0.spares=2.0", "solver.threads=2e0"])
def test_integral_floats_are_whole_numbers(tmp_path, override):
    """YAML 1.2 reads `4e3` as a float; it still spells the whole number 4000."""
    result = load_scenario(write(tmp_path, BASE), [override])
    assert result.ok, [d.message for d in result.diagnostics]
    path, value = override.split("=")
    node = result.scenario
    for part in path.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    assert node == int(float(value)) and isinstance(node, int)


@pytest.mark.parametrize("value", ["4000.5", "1e30", ".inf"])
def test_fractions_and_huge_floats_are_not_whole(tmp_path, value):
    found = diagnostics(tmp_path, BASE.replace("vcpus: 4000}", f"vcpus: {value}}}"))
    assert [d.path for d in found if d.is_error] == ["workloads[0].vcpus"]


# --------------------------------------------------------------------------- ceilings, with their reason


@pytest.mark.parametrize("override, path, why", [
    ("catalog.servers.0.price=1e301", "catalog.servers[0].price", "coefficient a solver takes safely"),
    ("catalog.prices={cpu-a: 1e13}", "catalog.prices.cpu-a", "coefficient a solver takes safely"),
    ("constraints=[{name: c, sum: vcpus, min: 1e300}]", "constraints[0].min", "bound a solver takes safely"),
    ("constraints=[{name: c, sum: vcpus, max: -1e300}]", "constraints[0].max", "greater than or equal"),
    ("objective={tco: 1, carbon: 1e300}", "objective.carbon", "swamps every other term"),
    ("solver.threads=1000000", "solver.threads", "more solver threads"),
    ("sites.0.power=1e12", "sites[0].power", "100 GW"),
    ("catalog.servers.0.attrs={score: 1e20}", "catalog.servers[0].attrs.score", "coefficient"),
    ("catalog.servers.0.failure_rate=1e300", "catalog.servers[0].failure_rate", "no real hardware"),
    ("policies.redundancy.mttr=1e9", "policies.redundancy.mttr", "a replacement"),
    ("limits.capex=1e300", "limits.capex", "bound a solver takes safely"),
    ("sites.0.electricity_price=1e9", "sites[0].electricity_price", "per kWh"),
])
def test_absurd_numbers_are_refused_with_their_reason(tmp_path, override, path, why):
    found = [d for d in diagnostics(tmp_path, BASE, [override]) if d.is_error]
    assert [d.path for d in found] == [path], [d.message for d in found]
    assert found[0].code == "bad-range"
    assert why in found[0].message or (why == "greater than or equal" and "at least" in found[0].message)


@pytest.mark.parametrize("text", [
    "{name: t, type: training, model: m, tokens: 1e12, deadline: 30 days, mfu: 0}",
    "{name: t, type: training, model: m, tokens: 1e12, deadline: 30 days, memory_headroom: 0%}",
    "{name: i, type: inference, model: m, requests_per_s: 1, prompt_tokens: 10, output_tokens: 10, max_tpot: 50 ms, "
    "hbm_efficiency: 0}",
])
def test_efficiencies_of_zero_are_refused_at_their_line(tmp_path, text):
    """Sizing divides by these: solve used to find no candidate at all; now validate says why, where."""
    scenario = BASE.replace("  - {name: etl, type: cpu, vcpus: 4000}", f"  - {text}") + \
        "  - {name: etl, type: cpu, vcpus: 4000}\n"
    scenario = scenario.replace("catalog:\n", "catalog:\n  models: [{id: m, params: 1e9, layers: 8, kv_heads: 8, "
                                              "head_dim: 64}]\n")
    found = [d for d in diagnostics(tmp_path, scenario) if d.is_error]
    assert len(found) == 1 and found[0].code == "bad-range" and found[0].line == 11, found
    assert "greater than 0" in found[0].message


def test_active_params_above_params_is_refused(tmp_path):
    found = diagnostics(tmp_path, BASE, ["catalog.models=[{id: m, params: 1e9, active_params: 2e9}]"])
    assert [(d.code, d.path) for d in found] == [("bad-value", "catalog.models[0].active_params")]


def test_the_model_refuses_absurd_row_bounds_too():
    """A second line of defence for library callers: no engine is handed a bound like 1e300."""
    from dcplan.model.linear import Expr, LinearModel

    lm = LinearModel()
    x = lm.var("x")
    with pytest.raises(ValueError, match="not a safe number"):
        lm.ge("r", "constraints", x, 1e300)
    assert isinstance(x, Expr)


# --------------------------------------------------------------------------- names in generic constraints

SCORED = BASE.replace("vcpus: 64}", "vcpus: 64, attrs: {security_score: 2}}")


@pytest.mark.parametrize("constraint", [
    "{name: c, sum: security_score, where: {category: server}, min: 10}",        # a bare attribute name
    "{name: c, sum: attrs.security_score, min: 10}",
    "{name: c, sum: quantity, where: {security_score: 2}, max: 100}",             # where on an attribute
    "{name: c, sum: price, where: {category: [server, rack], site: ash1}, max: 1e9}",
    "{name: c, sum: quantity, where: {category: rack}, max: 100}",
    "{name: c, sum: accelerators, where: {id: cpu-a}, max: 0}",
    "{name: c, sum: vcpus, where: {id: [cpu-a]}, min: 4000}",
])
def test_names_that_resolve_are_valid(tmp_path, constraint):
    assert diagnostics(tmp_path, SCORED, [f"constraints=[{constraint}]"]) == []


@pytest.mark.parametrize("constraint, path, code, hint", [
    ("{name: c, sum: quantity, where: {categroy: server}, max: 5}", "constraints[0].where.categroy", "unknown-name",
     "`category`"),
    ("{name: c, sum: quantity, where: {category: servers}, max: 5}", "constraints[0].where.category", "unknown-name",
     "`server`"),
    ("{name: c, sum: quantity, where: {id: cpu-b}, max: 5}", "constraints[0].where.id", "unknown-name", "`cpu-a`"),
    ("{name: c, sum: quantity, where: {site: ash2}, max: 5}", "constraints[0].where.site", "unknown-name", "`ash1`"),
    ("{name: c, sum: quantity, where: {category: [server, racks]}, max: 5}", "constraints[0].where.category[1]",
     "unknown-name", "`rack`"),
    ("{name: c, sum: securty_score, min: 5}", "constraints[0].sum", "bad-sum", "`security_score`"),
    ("{name: c, sum: attrs.securty_score, min: 5}", "constraints[0].sum", "bad-sum", "`security_score`"),
    ("{name: c, sum: description, max: 5}", "constraints[0].sum", "bad-sum", None),
    ("{name: c, sum: confidential_computing, max: 5}", "constraints[0].sum", "bad-sum", None),
    ("{name: c, sum: power, where: {category: rack}, max: 5}", "constraints[0].sum", "bad-sum", None),
    ("{name: c, sum: accelerators, where: {category: rack}, max: 5}", "constraints[0].sum", "unknown-name", None),
    ("{name: c, sum: quantity, where: {category: storage}, max: 5}", "constraints[0].where", "matches-nothing", None),
    ("{name: c, sum: quantity, where: {vcpus: 65}, max: 5}", "constraints[0].where", "matches-nothing", None),
])
def test_names_that_refer_to_nothing_are_errors_at_their_line(tmp_path, constraint, path, code, hint):
    """These used to match nothing or count 0, so a cap was silently ignored or a floor made infeasible."""
    found = [d for d in diagnostics(tmp_path, SCORED, [f"constraints=[{constraint}]"]) if d.is_error]
    assert [(d.code, d.path) for d in found] == [(code, path)], [d.message for d in found]
    if hint is not None:
        assert hint in (found[0].hint or ""), found[0]


def test_a_filter_on_excluded_items_only_is_a_warning(tmp_path):
    text = SCORED.replace("  builtin: false\n", "  builtin: false\n  exclude: [cpu-b]\n").replace(
        "    - {id: cpu-a", "    - {id: cpu-b, price: 900, power: 1 kW, rack_units: 1, vcpus: 32}\n    - {id: cpu-a")
    found = diagnostics(tmp_path, text, ["constraints=[{name: c, sum: quantity, where: {id: cpu-b}, max: 0}]"])
    assert [(d.code, d.severity) for d in found] == [("matches-nothing", "warning")]


def test_names_in_the_file_are_pointed_at():
    from dcplan.scenario.load import load_scenario as load

    corpus = Path(__file__).parent / "invalid"
    [found] = load(corpus / "misspelt-where-key.yaml").diagnostics
    assert (found.line, found.column) == (20, 13)  # the key `categroy` itself


# --------------------------------------------------------------------------- what solve refuses, validate refuses

import json  # noqa: E402 - grouped with the tests that run the command
import subprocess  # noqa: E402
import sys  # noqa: E402

from dcplan.usecases.validate import validate_scenario  # noqa: E402

UNPRICED = """\
dcplan: 1
name: unpriced
sites:
  - {name: ash1, power: 12 MW, racks: 400, rack_power: 40 kW}
workloads:
  - {name: etl, type: cpu, vcpus: 4000, servers: [cpu-quote]}
catalog:
  servers:
    - {id: cpu-quote, price: null, power: 1 kW, rack_units: 1, vcpus: 128, memory: 1 TB}
"""


def dcplan(*args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcplan", *map(str, args)], capture_output=True, text=True,
                          input=stdin, timeout=300)


def test_a_workload_only_unpriced_items_could_serve_is_flagged_at_its_line(tmp_path):
    """Only a server without a price may serve it: solve used to call this infeasible (exit 1)."""
    [found] = validate_scenario(write(tmp_path, UNPRICED)).diagnostics
    assert (found.code, found.path, found.line, found.column) == ("unpriced", "workloads[0]", 6, 5)
    assert "cpu-quote" in found.message and "--set catalog.prices.cpu-quote=PRICE" in found.hint


@pytest.mark.parametrize("override, code, path", [
    ("workloads.0.availability=1.0", "unreachable", "workloads[0].availability"),
    ("catalog.servers.0.failure_rate=80", "unreachable", "workloads[0].availability"),
    ("workloads.0.vcpus=1e9", "too-large", "workloads[0]"),
    ("constraints=[{name: c, sum: vcpus, min: 1e12}]", "too-large", "constraints[0].min"),
])
def test_refusals_that_need_sizing(tmp_path, override, code, path):
    text = BASE.replace("vcpus: 4000}", "vcpus: 4000, availability: 0.999}")
    found = [d for d in validate_scenario(write(tmp_path, text), [override]).diagnostics if d.is_error]
    assert [(d.code, d.path) for d in found] == [(code, path)], [d.message for d in found]


def test_availability_one_with_explicit_spares_is_fine(tmp_path):
    text = BASE.replace("vcpus: 4000}", "vcpus: 4000, availability: 1.0, spares: N+1}")
    assert validate_scenario(write(tmp_path, text)).ok


def test_validate_and_solve_refuse_with_the_same_diagnostic(tmp_path):
    path = write(tmp_path, BASE.replace("vcpus: 4000}", "vcpus: 4000, availability: 1.0}"))
    validated, solved = dcplan("validate", path), dcplan("solve", path)
    assert validated.returncode == solved.returncode == 2, solved.stderr
    line = f"{path}:10:55: error[unreachable] workloads[0].availability:"
    assert line in validated.stdout and line in solved.stderr
    assert "Traceback" not in validated.stderr + solved.stderr


def test_a_scenario_on_stdin(tmp_path):
    """`-` reads the scenario from standard input, for validate and for the commands that solve."""
    assert dcplan("validate", "-", stdin=BASE).stdout.startswith("ok -")
    solved = dcplan("solve", "-", "--format", "csv", stdin=BASE)
    assert solved.returncode == 0, solved.stderr
    assert "ash1,server,cpu-a" in solved.stdout
    invalid = dcplan("validate", "-", stdin=UNPRICED)
    assert invalid.returncode == 2 and "-:6:5: error[unpriced]" in invalid.stdout


def test_explain_offers_a_price_for_a_workload_only_unpriced_items_could_serve(tmp_path):
    done = dcplan("explain", write(tmp_path, UNPRICED))
    assert done.returncode == 2, done.stderr
    assert "error[unpriced] workloads[0]" in done.stderr and "--set catalog.prices.cpu-quote=PRICE" in done.stderr
    priced = dcplan("explain", write(tmp_path, UNPRICED), "--set", "catalog.prices.cpu-quote=20000",
                    "--time-limit", "30")
    assert priced.returncode == 0, priced.stderr


def test_the_contracts_own_example_gets_no_units_warning():
    """Section 2 of the product contract, as a scenario (tests/contract/): a training cluster costs 1.6e8 in the
    capex row and a rack packing factor is 0.02 in another row. Engines scale rows one by one, so only a span
    within one row is fragile; the model-wide span gave a false "check your units" warning."""
    from dcplan.usecases.planning import SolveOptions, plan_scenario

    loaded = validate_scenario(Path(__file__).parent / "contract" / "llm-platform-2027.yaml")
    assert loaded.ok, [d.message for d in loaded.diagnostics]
    plan = plan_scenario(loaded.scenario, SolveOptions(time_limit=60))
    assert plan.status in ("optimal", "feasible")
    assert not [w for w in plan.warnings if "span" in w or "units" in w], plan.warnings


def test_a_row_whose_coefficients_span_far_still_warns():
    from dcplan.model.linear import LinearModel

    lm = LinearModel()
    x, y = lm.var("x"), lm.var("y")
    lm.le("r", "constraints", x * 1e-4 + y * 1e6, 10)
    assert lm.widest_row() == ("r", 1e-4, 1e6)


def test_a_plan_json_on_stdin_for_diff(tmp_path):
    scenario = write(tmp_path, BASE)
    plan = dcplan("solve", scenario, "--format", "json")
    assert plan.returncode == 0, plan.stderr
    done = dcplan("diff", "-", scenario, "--format", "json", stdin=plan.stdout)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["identical"] is True
