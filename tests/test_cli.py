"""The `dcplan` command: exit codes, stdout/stderr separation, formats, and that docs/cli.md documents it all.

Most tests drive the typer app in-process with CliRunner; a few run the real
`python -m dcplan` to check what a shell sees. The planner's own behaviour is
tested elsewhere: here `solve` is only checked for option parsing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dcplan.scenario import catalog
from dcplan.report.catalog import COLUMNS
from dcplan.cli import app
from dcplan.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "dcplan" / "templates" / "starter.yaml"
CLI_DOC = ROOT / "docs" / "cli.md"

needs_starter = pytest.mark.skipif(not STARTER.exists(), reason="dcplan/templates/starter.yaml is not there yet")

MINIMAL = """\
dcplan: 1
name: tiny
sites:
  - {name: a, power: 1 MW, racks: 10, rack_power: 40 kW}
workloads:
  - {name: etl, type: cpu, vcpus: 64}
catalog:
  prices: {epyc-9654-2s: 35000}
"""

BAD = """\
dcplan: 1
name: bad
sitez: []
workloads:
  - {name: etl, type: cpu, vcpus: 64, deadline: 3 days}
"""


def run(*args: str) -> typer.testing.Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def dcplan(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcplan", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def good(tmp_path) -> Path:
    path = tmp_path / "good.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    return path


@pytest.fixture
def bad(tmp_path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- validate


def test_validate_ok(good):
    result = run("validate", good)
    assert result.exit_code == 0, result.output
    assert f"ok {good}" in result.stdout
    assert "1 of 1 file(s) valid" in result.stderr


def test_validate_invalid_reports_every_problem_with_position(bad):
    result = run("validate", bad)
    assert result.exit_code == 2
    assert f"{bad}:3:1" in result.stdout and "sitez" in result.stdout and "did you mean `sites`" in result.stdout
    assert "deadline" in result.stdout  # all problems at once, not only the first
    assert "0 of 1 file(s) valid" in result.stderr


def test_validate_json_is_a_list(good, bad):
    ok = run("validate", "--format", "json", good)
    assert ok.exit_code == 0
    assert json.loads(ok.stdout) == []
    failed = run("validate", "--format", "json", good, bad)
    assert failed.exit_code == 2
    diagnostics = json.loads(failed.stdout)
    assert isinstance(diagnostics, list) and len(diagnostics) >= 2
    unknown = next(d for d in diagnostics if d["code"] == "unknown-key")
    assert (unknown["file"], unknown["path"], unknown["line"], unknown["column"]) == (str(bad), "sitez", 3, 1)
    assert {"code", "severity", "message"} <= set(unknown)


def test_validate_missing_file_is_invalid_input(tmp_path):
    result = run("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "no such file" in result.stdout


def test_validate_set_overrides_are_checked(good):
    assert run("validate", good, "--set", "sites.0.power=2 MW").exit_code == 0
    assert run("validate", good, "--set", "sites.0.power=2 TB").exit_code == 2
    assert run("validate", good, "--set", "no-equals-sign").exit_code == 2


def test_validate_quiet_prints_problems_only(good, bad):
    result = run("--quiet", "validate", good, bad)
    assert result.exit_code == 2
    assert "ok " not in result.stdout and "sitez" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("fmt", ["csv", "yaml", "markdown", "pdf"])
def test_validate_rejects_other_formats(good, fmt):
    assert run("validate", "--format", fmt, good).exit_code == 2


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_bundled_scenarios_validate(path):
    assert run("validate", path).exit_code == 0


# --------------------------------------------------------------------------- catalog


def test_catalog_list_table():
    result = run("catalog", "list")
    assert result.exit_code == 0
    assert "h100-sxm-8" in result.stdout and "qm9700" in result.stdout
    assert result.stderr == ""


def test_catalog_list_json_has_every_entry():
    result = run("catalog", "list", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert {row["id"] for row in rows} == catalog.builtin().all_ids()
    assert all(set(row) == set(COLUMNS) for row in rows)
    h100 = next(row for row in rows if row["id"] == "h100-sxm-8")
    assert (h100["section"], h100["accelerators"], h100["origin"]) == ("servers", "8x h100-sxm", "built-in")


def test_catalog_list_csv():
    result = run("catalog", "list", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == ",".join(COLUMNS)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == len(catalog.builtin().all_ids())


def test_catalog_list_markdown():
    result = run("catalog", "list", "--format", "markdown", "--category", "switches")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "| " + " | ".join(COLUMNS) + " |"
    assert {line.split("|")[2].strip() for line in lines[2:]} == set(catalog.builtin().switches)


def test_catalog_list_category_filter_and_unknown_category():
    result = run("catalog", "list", "-c", "models", "-f", "json")
    assert {row["section"] for row in json.loads(result.stdout)} == {"models"}
    assert run("catalog", "list", "-c", "gpus").exit_code == 2
    assert run("catalog", "list", "-f", "yaml").exit_code == 2


def test_catalog_list_merges_a_scenarios_own_server(tmp_path):
    scenario = tmp_path / "own.yaml"
    scenario.write_text(MINIMAL.replace("catalog:\n", """\
catalog:
  servers:
    - {id: my-cpu-box, description: in-house box, price: 9000, power: 600 W, rack_units: 1, vcpus: 128}
"""), encoding="utf-8")
    result = run("catalog", "list", "--scenario", scenario, "--format", "json", "--category", "servers")
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows["my-cpu-box"]["origin"] == "scenario"
    assert rows["my-cpu-box"]["power_kw"] == pytest.approx(0.6)
    assert rows["epyc-9654-2s"]["price"] == 35000  # catalog.prices applied
    assert rows["h100-sxm-8"]["origin"] == "built-in"


def test_catalog_list_with_invalid_scenario(bad):
    result = run("catalog", "list", "--scenario", bad)
    assert result.exit_code == 2
    assert "sitez" in result.stderr and result.stdout == ""


def test_catalog_show_known_id():
    result = run("catalog", "show", "h100-sxm-8")
    assert result.exit_code == 0
    assert "h100-sxm-8" in result.stdout and "10.2 kW" in result.stdout
    data = json.loads(run("catalog", "show", "h100-sxm-8", "--format", "json").stdout)
    assert (data["section"], data["id"], data["accelerators"]) == ("servers", "h100-sxm-8",
                                                                   {"model": "h100-sxm", "count": 8})
    assert "source" in data


def test_catalog_show_gives_every_rate_its_unit():
    # The sizing reads fp4_flops and scale_up_bandwidth; shown without units they would read as bare numbers.
    result = run("catalog", "show", "b200")
    assert result.exit_code == 0
    for line in ("fp4_flops               9,000 TFLOP/s", "scale_up_bandwidth      1,800 GB/s",
                 "hbm_bandwidth           7,700 GB/s"):
        assert line in result.stdout, line


def test_catalog_show_unknown_id_suggests():
    result = run("catalog", "show", "h100-sxm8")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "did you mean" in result.stderr and "h100-sxm-8" in result.stderr


def test_catalog_without_subcommand_lists():
    result = run("catalog")
    assert result.exit_code == 0
    assert "h100-sxm-8" in result.stdout


# --------------------------------------------------------------------------- schema and init


def test_schema_prints_json_schema():
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert result.stderr == ""


@needs_starter
def test_init_writes_a_valid_scenario_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "plan.yaml"
    first = run("init", target)
    assert first.exit_code == 0, first.output
    assert target.read_text(encoding="utf-8") == STARTER.read_text(encoding="utf-8")
    assert first.stdout == "" and str(target) in first.stderr
    assert load_scenario(target).ok
    assert run("validate", target).exit_code == 0
    # The modeline points at a schema that exists beside the file, and it is the schema of this dcplan.
    modeline = target.read_text(encoding="utf-8").splitlines()[0]
    assert modeline == "# yaml-language-server: $schema=scenario.schema.json"
    schema = tmp_path / "scenario.schema.json"
    assert json.loads(schema.read_text(encoding="utf-8")) == json.loads(run("schema").stdout)

    target.write_text("# my own edits\n", encoding="utf-8")
    again = run("init", target)
    assert again.exit_code == 2
    assert "--force" in again.stderr
    assert target.read_text(encoding="utf-8") == "# my own edits\n"

    forced = run("init", target, "--force")
    assert forced.exit_code == 0
    assert target.read_text(encoding="utf-8") == STARTER.read_text(encoding="utf-8")


@needs_starter
def test_init_default_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("init").exit_code == 0
    assert (tmp_path / "scenario.yaml").exists()


# --------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize("args", [
    ["bogus"],
    ["validate", "--bogus", "x.yaml"],
    ["validate"],
    ["catalog", "bogus"],
    ["catalog", "show"],
    ["schema", "extra-argument"],
    ["solve"],
    ["solve", "x.yaml", "--objective", "cheapest"],
    ["solve", "x.yaml", "--solver", "gurobi"],
    ["solve", "x.yaml", "--time-limit", "0"],
    ["solve", "x.yaml", "--time-limit", "soon"],
    ["solve", "x.yaml", "--time-limit", "1e7"],
    ["solve", "x.yaml", "--gap", "2"],
    ["solve", "x.yaml", "--threads", "-1"],
    ["solve", "x.yaml", "--format", "pdf"],
], ids=lambda a: " ".join(a))
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""


def test_solve_invalid_scenario_exits_2(bad):
    result = run("solve", bad)
    assert result.exit_code == 2
    assert "sitez" in result.stderr and result.stdout == ""


# --------------------------------------------------------------------------- help and the docs


def _commands(command, path=("dcplan",)):
    yield " ".join(path), command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


COMMANDS = dict(_commands(typer.main.get_command(app)))


def test_the_app_has_the_expected_commands():
    assert {"dcplan solve", "dcplan validate", "dcplan catalog list", "dcplan catalog show", "dcplan schema",
            "dcplan init"} <= set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_of_every_command(command, flag):
    result = run(*command.split()[1:], flag)
    assert result.exit_code == 0
    assert "Usage:" in result.stdout


def _doc_section(text: str, command: str) -> str:
    """The text under the heading that names `command` in backticks, up to the next heading."""
    lines, section, inside, fenced = text.splitlines(), [], False, False
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        if line.startswith("#") and not fenced:
            if inside:
                break
            inside = re.match(rf"^#+ `{re.escape(command)}`", line) is not None
        elif inside:
            section.append(line)
    assert inside, f"docs/cli.md has no heading for `{command}`"
    return "\n".join(section)


def _params():
    for command, obj in sorted(COMMANDS.items()):
        for param in obj.params:
            yield command, param


@pytest.mark.parametrize(("command", "param"), list(_params()), ids=lambda x: x if isinstance(x, str) else x.name)
def test_every_command_and_option_is_documented(command, param):
    section = _doc_section(CLI_DOC.read_text(encoding="utf-8"), command)
    if param.param_type_name == "argument":
        name = param.metavar or param.name.upper()
        assert f"`{name}`" in section or f" {name}" in section, f"{command}: argument {name} not documented"
    else:
        for opt in (*param.opts, *param.secondary_opts):
            assert f"`{opt}`" in section, f"{command}: option {opt} not documented in its section"


def test_solve_formats_and_objectives_are_documented():
    section = _doc_section(CLI_DOC.read_text(encoding="utf-8"), "dcplan solve")
    for value in ("table", "json", "csv", "yaml", "markdown", "tco", "capex", "energy", "carbon", "power",
                  "auto", "cp-sat", "scip", "cbc", "highs"):
        assert f"`{value}`" in section, value


def test_every_command_has_a_docs_section():
    text = CLI_DOC.read_text(encoding="utf-8")
    for command in COMMANDS:
        _doc_section(text, command)
    assert "`--help`" in text and "`-h`" in text


def test_docs_list_the_exit_codes():
    text = CLI_DOC.read_text(encoding="utf-8")
    for code in ("0", "1", "2", "3", "70", "74", "130", "143"):
        assert re.search(rf"^\| {code} \|", text, re.M), f"exit code {code} not in docs/cli.md"


# --------------------------------------------------------------------------- -o FILE


@pytest.mark.parametrize("args", [
    ["schema"],
    ["catalog", "list", "--format", "csv"],
    ["catalog", "show", "h100-sxm-8", "--format", "json"],
], ids=lambda a: " ".join(a))
def test_output_file_gets_the_data_and_stdout_nothing(tmp_path, args):
    target = tmp_path / "out.txt"
    result = run(*args, "-o", target)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == run(*args).stdout


def test_validate_output_file(tmp_path, bad):
    target = tmp_path / "report.json"
    result = run("validate", bad, "--format", "json", "--output", target)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))[0]["file"] == str(bad)


# --------------------------------------------------------------------------- the real command


def test_real_command_keeps_data_on_stdout_and_messages_on_stderr(tmp_path):
    proc = dcplan("catalog", "list", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == ",".join(COLUMNS)
    assert proc.stderr == ""

    good = tmp_path / "good.yaml"
    good.write_text(MINIMAL, encoding="utf-8")
    proc = dcplan("validate", "--format", "json", good)
    assert (proc.returncode, json.loads(proc.stdout)) == (0, [])
    assert "1 of 1" not in proc.stdout


def test_real_command_exit_codes_without_tracebacks(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    for args, code in ((["validate", bad], 2), (["bogus"], 2), (["solve", bad], 2),
                       (["solve", bad, "--objective", "cheap"], 2), (["catalog", "show", "nope"], 2)):
        proc = dcplan(*args)
        assert proc.returncode == code, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout
    proc = dcplan("bogus")
    assert proc.stdout == "" and "No such command" in proc.stderr


@needs_starter
def test_real_init_then_validate(tmp_path):
    assert dcplan("init", "s.yaml", cwd=tmp_path).returncode == 0
    assert dcplan("init", "s.yaml", cwd=tmp_path).returncode == 2
    proc = dcplan("validate", tmp_path / "s.yaml")
    assert proc.returncode == 0 and "valid" in proc.stderr


def test_unwritable_output_is_invalid_input(tmp_path):
    proc = dcplan("schema", "-o", tmp_path / "missing-dir" / "schema.json")
    assert proc.returncode == 2
    assert "bug" not in proc.stderr


def test_python_dash_m_and_console_script_agree():
    script = Path(sys.executable).parent / "dcplan"
    if not script.exists():
        script = shutil.which("dcplan")
    if script is None:
        pytest.skip("the dcplan console script is not installed")
    proc = subprocess.run([str(script), "schema"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout == dcplan("schema").stdout


# --------------------------------------------------------------------------- conventions


def test_version():
    import dcplan as library

    done = dcplan("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"dcplan {library.__version__}"


def test_shell_completion_script():
    """The bash completion script. Typer finds the shell from the parent process, which under `make test`
    is sh (not supported); its documented switch for tests names the shell instead."""
    done = subprocess.run([str(Path(sys.executable).parent / "dcplan"), "--show-completion", "bash"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert done.returncode == 0, done.stderr
    assert "_dcplan_completion" in done.stdout and "complete -o default -F _dcplan_completion dcplan" in done.stdout


def test_init_keeps_a_different_schema_unless_forced(tmp_path):
    schema = tmp_path / "scenario.schema.json"
    schema.write_text("{}", encoding="utf-8")
    done = run("init", tmp_path / "a.yaml")
    assert done.exit_code == 0 and "kept the existing" in done.stderr and schema.read_text() == "{}"
    assert run("init", tmp_path / "a.yaml", "--force").exit_code == 0
    assert json.loads(schema.read_text())["$schema"].startswith("https://json-schema.org/")


# --------------------------------------------------------------------------- the long-solve spinner


def test_planning_reports_stage_time_limit_incumbent_and_bound(good):
    """plan_scenario(on_status=...) feeds the spinner: each stage as it starts, the time limit from the end of
    the build, the greedy start's objective as the first incumbent, the engine's bound at the end."""
    import dcplan as library

    seen = []
    plan = library.plan_scenario(library.validate_scenario(good).scenario, library.SolveOptions(time_limit=30),
                                 on_status=lambda p: seen.append((str(p.stage), p.limit, p.incumbent, p.bound)))
    stages = list(dict.fromkeys(stage for stage, *_ in seen))
    assert stages == ["size", "prune", "build", "start", "cuts", "solve", "extract", "verify"]
    assert seen[-1][1] == 30 and seen[-1][2] == pytest.approx(plan.objective_value)
    assert any(incumbent is not None for stage, _, incumbent, _ in seen if stage in ("cuts", "solve"))
    assert seen[-1][3] is not None


def test_the_spinner_line():
    from dcplan.report.plan import render_progress
    from dcplan.usecases.stages import Progress
    from dcplan.vocab import Stage

    line = render_progress("solving big.yaml", Progress(Stage.SOLVE, 100.0, 60, 1_234_000, 1_200_000), 112.4)
    assert line == "solving big.yaml · solve · 12 s of 60 s · incumbent 1,234,000 · bound 1,200,000 · gap 2.76%"
    assert render_progress("solving x", None, 0) == "solving x"


# --------------------------------------------------------------------------- engine logs


@pytest.mark.parametrize(("engine", "words"), [("highs", "MIP has"), ("cbc", "CBC MILP Solver"),
                                               ("scip", "presolving"), ("cp-sat", "Starting CP-SAT")])
def test_solver_log_holds_the_engines_own_log_and_nothing_else_moves(tmp_path, engine, words):
    log = tmp_path / "engine.log"
    log.write_text("old text\n", encoding="utf-8")
    done = dcplan("--solver-log", log, "--quiet", "solve", ROOT / "scenarios" / "inference-platform.yaml",
                  "--solver", engine, "--format", "json")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert json.loads(done.stdout)["status"] == "optimal"  # stdout still carries the plan JSON alone
    text = log.read_text(encoding="utf-8")
    assert words in text and "old text" not in text


def test_solver_log_that_cannot_be_written_is_a_usage_error(tmp_path):
    done = dcplan("--solver-log", tmp_path / "missing" / "engine.log", "solve",
                  ROOT / "scenarios" / "inference-platform.yaml")
    assert done.returncode == 2 and "--solver-log" in done.stderr and "Traceback" not in done.stderr
