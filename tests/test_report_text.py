"""Output that its readers read back as written, whatever the scenario's names and descriptions hold.

A hostile scenario (a name with ESC and BEL, markup-like brackets, newlines and carriage returns in
descriptions, cells that start like spreadsheet formulas, ids and sites that YAML 1.2 would read as
numbers) is solved once; every renderer's output is then read back by its reader: csv, a Markdown
table parser, our YAML 1.2 loader, json, and a terminal (no control bytes, markup shown as text, lines
no wider than COLUMNS).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from typer.testing import CliRunner

from dcplan.cli import app
from dcplan.report import catalog as catalog_report
from dcplan.report import check as check_report
from dcplan.report import plan as plan_report
from dcplan.report.text import JSON_DIGITS, csv_text, md_cell, yaml_text
from dcplan.scenario.loader import parse_text
from dcplan.scenario.schema import Scenario
from dcplan.usecases.planning import SolveOptions, plan_scenario

HOSTILE = {
    "dcplan": 1, "name": "evil\x1b[31m red \x07[bold]x[/bold]",
    "catalog": {"builtin": False, "servers": [
        {"id": "1e3", "price": 1000.1, "power": 0.3333, "rack_units": 1, "vcpus": 64,
         "description": "=HYPERLINK(\"http://x\")\rsecond|half\nthird"},
        {"id": "0o17", "price": 1100, "power": 0.7, "rack_units": 1, "vcpus": 96, "description": "@SUM(A1)"}]},
    "sites": [{"name": "0x1F", "power": "1 MW", "racks": 10, "rack_power": "40 kW", "electricity_price": 0.0913},
              {"name": "null", "power": "1 MW", "racks": 10, "rack_power": "40 kW"}],
    "workloads": [{"name": "etl", "type": "cpu", "vcpus": 6400, "sites": ["0x1F"]}],
    "constraints": [{"name": "x", "sum": "quantity", "where": {"id": "0o17"}, "max": 0}],
    "objective": "tco",
}
ESC_OR_BEL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


@pytest.fixture(scope="module")
def plan():
    return plan_scenario(Scenario.model_validate(HOSTILE), SolveOptions(engine="highs", gap=0.0, time_limit=60))


def test_csv_reads_back_row_for_row_with_formulas_neutralised(plan):
    rows = list(csv.reader(io.StringIO(plan_report.render(plan, "csv"), newline="")))
    assert len(rows) == len(plan.bom) + 1, rows  # a bare CR in a description split the row before
    server = next(r for r in rows if r[2] == "1e3")
    assert server[3] == "'=HYPERLINK(\"http://x\")\rsecond|half\nthird"
    assert all(not c.startswith(("=", "+", "@")) for r in rows for c in r)


def test_csv_writer_quotes_a_bare_carriage_return():
    text = csv_text(["a", "b"], [["x\ry", "-5"], ["=1+2", "+1-2"]])
    assert list(csv.reader(io.StringIO(text, newline=""))) == [["a", "b"], ["x\ry", "-5"], ["'=1+2", "'+1-2"]]


def test_catalog_list_csv_neutralises_formulas_too(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml_text(HOSTILE), encoding="utf-8")
    done = CliRunner().invoke(app, ["catalog", "list", "--scenario", str(path), "--format", "csv"])
    assert done.exit_code == 0, done.output
    rows = list(csv.reader(io.StringIO(done.stdout, newline="")))
    descriptions = {r[1]: r[2] for r in rows[1:]}
    assert descriptions["0o17"] == "'@SUM(A1)" and descriptions["1e3"].startswith("'=HYPERLINK")
    assert len(rows) == 3


def _markdown_rows(text: str) -> list[list[str]]:
    """Cells of every table line, splitting on pipes that are not escaped."""
    return [re.split(r"(?<!\\)\|", line)[1:-1] for line in text.splitlines() if line.startswith("|")]


def test_markdown_tables_keep_one_line_per_row(plan):
    text = plan_report.render(plan, "markdown")
    tables = text.split("\n\n")
    for table in tables:
        rows = _markdown_rows(table)
        assert len({len(r) for r in rows}) <= 1, table  # every row has the header's number of cells
    assert "second\\|half third" in text
    assert md_cell("a|b\r\nc\\") == "a\\|b c\\\\"


def test_yaml_output_reads_back_as_strings_in_yaml_1_2(plan):
    data = parse_text(plan_report.render(plan, "yaml"), "plan.yaml").data
    assert {line["item"] for line in data["bom"]} >= {"1e3"}
    assert {site["name"] for site in data["sites"]} == {"0x1F", "null"}
    assert data["scenario"] == HOSTILE["name"]
    for value in ("1e3", "0o17", ".inf", "null", "true", "0x1F", "-12", "yes"):
        assert parse_text(yaml_text({"v": value}), "v").data == {"v": value}


def test_json_numbers_carry_no_float_noise(plan):
    def floats(node):
        if isinstance(node, float):
            yield node
        elif isinstance(node, dict):
            for value in node.values():
                yield from floats(value)
        elif isinstance(node, list):
            for value in node:
                yield from floats(value)

    text = plan_report.render(plan, "json")
    found = list(floats(json.loads(text)))
    assert found and all(float(f"{f:.{JSON_DIGITS}g}") == f for f in found)
    assert not re.search(r"\d\.\d*0000000000\d", text) and not re.search(r"\.\d*9999999999\d", text)


@pytest.mark.parametrize("columns", [80, 100, 160])
def test_tables_fit_the_width_and_show_names_as_text(plan, columns):
    text = plan_report.render(plan, "table", width=columns)
    assert not ESC_OR_BEL.search(text)
    assert "\\x1b" in text and "\\x07" in text  # shown as escapes, not sent
    assert "[bold]x" in text.replace("\n", "").replace("│", "").replace(" ", "")  # markup shown, not applied
    assert "constraint[name=x]" in text  # binding constraint names are not eaten as markup
    assert max(len(line) for line in text.splitlines()) <= columns


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_catalog_table_drops_columns_rather_than_wrap(columns):
    from dcplan.scenario.catalog import builtin

    text = catalog_report.render_rows(catalog_report.rows(builtin(), "servers"), "table", width=columns)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert len(lines) == len(builtin().servers) + 4  # header (3 lines), one line per entry, bottom border


def test_the_width_comes_from_columns(monkeypatch):
    from dcplan.report.text import DEFAULT_WIDTH, table_width

    monkeypatch.setenv("COLUMNS", "77")
    assert table_width() == 77
    monkeypatch.delenv("COLUMNS")
    assert table_width() == DEFAULT_WIDTH  # pytest's stdout is no terminal


def test_check_table_shows_control_bytes_as_escapes():
    from dcplan.usecases.check import CheckResult

    text = check_report.render_table([CheckResult(file="a\x1b]0;title\x07.yaml", outcome="invalid")])
    assert not ESC_OR_BEL.search(text) and "\\x1b" in text


# --------------------------------------------------------------------------- fuzzing the writers

from hypothesis import given, settings  # noqa: E402 - the fuzzing part of this file
from hypothesis import strategies as st  # noqa: E402

from dcplan.report.text import terminal_safe  # noqa: E402

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["=1+2", "@x", "-", "+", "\r", "a\rb", "a\r\nb", "|", "\\|", "1e3", "0o17", ".inf", "null", "~", "yes", "'", '"',
     "\x1b[31m", "\x07", "[bold]x[/bold]", "#", ": x", "- y", "\t", "\u2028", "\x85"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(TEXT, min_size=3, max_size=3), max_size=5))
def test_any_text_survives_csv(rows):
    back = list(csv.reader(io.StringIO(csv_text(["a", "b", "c"], rows), newline="")))
    assert back[0] == ["a", "b", "c"] and len(back) == len(rows) + 1
    for written, read in zip(rows, back[1:]):
        for cell, got in zip(written, read):
            assert got in (cell, "'" + cell)
            assert not got.startswith(("=", "+", "@", "\t", "\r")) or got == cell and cell[:1] in "+-"


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_any_text_is_one_markdown_cell(text):
    cell = md_cell(text)
    assert "\n" not in cell and "\r" not in cell
    assert not re.search(r"(?<!\\)\|", cell.replace("\\\\", ""))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(TEXT, TEXT | st.floats(allow_nan=False, allow_infinity=False) | st.integers(-2**63, 2**63 - 1),
                       max_size=5))
def test_any_strings_read_back_from_yaml_as_written(data):
    back = parse_text(yaml_text({"data": data}), "x").data["data"]
    assert back.keys() == data.keys()
    for key, value in data.items():
        if isinstance(value, float):
            assert back[key] == pytest.approx(value, rel=1e-11, abs=1e-300)
        else:
            assert back[key] == value and type(back[key]) is type(value)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_no_control_byte_reaches_a_terminal(text):
    assert not ESC_OR_BEL.search(terminal_safe(text).replace("\n", "").replace("\t", ""))
