"""Golden diagnostics for the corpus of invalid scenario files in tests/invalid/.

Each file in tests/invalid/ holds ONE kind of mistake in an otherwise valid,
small scenario (a site and a workload) and is named after the mistake.
tests/invalid/expected.json maps each file name to the exact list of
[code, line, column, path] diagnostics it must produce (sorted).

To regenerate the golden file after an intended change of codes or positions:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_invalid_corpus.py

then read the diff of tests/invalid/expected.json entry by entry: every line
and column must point at the offending key or value, every path must name it.
Files that are too big to commit (the >1 MB file) or that must not exist (the
missing file) are made at runtime by the tests below.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dcplan.diagnostics import render_human, render_json
from dcplan.scenario.loader import MAX_FILE_BYTES
from dcplan.scenario.load import load_scenario
from dcplan.usecases.validate import validate_scenario

CORPUS = Path(__file__).parent / "invalid"
GOLDEN = CORPUS / "expected.json"
FILES = sorted(p.name for p in CORPUS.iterdir() if p.name != GOLDEN.name)
DCPLAN = Path(sys.executable).parent / "dcplan"

# Problems with the file as a whole: no dotted path to name.
FILE_LEVEL_CODES = {"empty-file", "not-text", "not-utf8", "yaml-syntax", "not-a-mapping",
                    "file-not-found", "file-unreadable", "file-too-large"}

# The corpus files differ from this by one mistake each (tested to be valid).
VALID = """\
dcplan: 1
name: demo
catalog: {builtin: false}
sites:
  - name: ash1
    power: 12 MW
    racks: 400
    rack_power: 40 kW
workloads:
  - name: etl
    type: cpu
    vcpus: 4000
    memory: 16 TB
"""


def _key(diagnostic) -> list:
    return [diagnostic.code, diagnostic.line, diagnostic.column, diagnostic.path]


def _actual(name: str) -> list:
    return sorted((_key(d) for d in validate_scenario(CORPUS / name).diagnostics), key=json.dumps)


def _golden() -> dict:
    if os.environ.get("UPDATE_GOLDEN"):
        # One diagnostic per line, so a review of the diff reads like the diagnostics.
        entries = []
        for name in FILES:
            rows = ",\n".join("    " + json.dumps(row) for row in _actual(name))
            entries.append(f"  {json.dumps(name)}: [\n{rows}\n  ]")
        GOLDEN.write_text("{\n" + ",\n".join(entries) + "\n}\n", encoding="utf-8")
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


EXPECTED = _golden()


def test_corpus_is_complete():
    assert len(FILES) >= 30
    assert sorted(EXPECTED) == FILES, "run with UPDATE_GOLDEN=1 after adding or removing a corpus file"
    assert all(EXPECTED[name] for name in FILES), "every corpus file must produce a diagnostic"


def test_base_scenario_is_valid(tmp_path):
    path = tmp_path / "valid.yaml"
    path.write_text(VALID, encoding="utf-8")
    result = validate_scenario(path)
    assert result.ok, render_human(result.diagnostics)


@pytest.mark.parametrize("name", FILES)
def test_golden_diagnostics(name):
    """Through dcplan.validate_scenario, what `dcplan validate` and every solving command run."""
    result = validate_scenario(CORPUS / name)
    assert result.scenario is None and not result.ok
    assert sorted((_key(d) for d in result.diagnostics), key=json.dumps) == EXPECTED[name]
    for d in result.diagnostics:
        assert d.severity == "error"
        assert d.file == str(CORPUS / name)
        assert d.message and "Traceback" not in d.message
        assert d.line is not None and d.column is not None, d
        assert d.line >= 1 and d.column >= 1
        if d.code not in FILE_LEVEL_CODES:
            assert d.path, f"{d.code} should name a path"


def test_several_errors_are_all_reported():
    codes = [d.code for d in load_scenario(CORPUS / "several-errors.yaml").diagnostics]
    assert len(codes) >= 4
    assert {"bad-quantity", "bad-type", "unknown-key", "bad-choice", "missing-field"} <= set(codes)


@pytest.mark.parametrize("name, hint", [
    ("unknown-key.yaml", "did you mean `pue`?"),
    ("unknown-top-level-key.yaml", "did you mean `horizon`?"),
    ("unknown-enum.yaml", "did you mean `confidential`?"),
    ("unknown-workload-type.yaml", "did you mean `training`?"),
    ("unknown-model.yaml", "did you mean `tiny-model`?"),
    ("unknown-accelerator.yaml", "did you mean `gpu-x`?"),
    ("unknown-site-ref.yaml", "did you mean `ash1`?"),
    ("yes-no-trap.yaml", "YAML 1.2 reads 'no' as a string"),
    ("misspelt-where-key.yaml", "did you mean `category`?"),
    ("unknown-where-category.yaml", "did you mean `server`?"),
    ("unknown-where-site.yaml", "did you mean `ash1`?"),
    ("unpriced-only.yaml", "--set catalog.prices.cpu-a=PRICE"),
])
def test_hints(name, hint):
    hints = [d.hint or "" for d in validate_scenario(CORPUS / name).diagnostics]
    assert any(hint in h for h in hints), hints


@pytest.mark.parametrize("name, words", [
    ("wrong-unit-dimension.yaml", ["expected a power", "'12 MWh'", "an energy"]),
    ("negative-power.yaml", ["greater than 0 kW", "'-12 MW'"]),
    ("yes-no-trap.yaml", ["true or false", "'no'"]),
    ("bool-for-number.yaml", ["whole number", "boolean (true)"]),
    ("octal-trap.yaml", ["at most 64", "100"]),
    ("unknown-unit.yaml", ["unknown unit 'megawatts'"]),
    ("nan-quantity.yaml", ["finite"]),
    ("bad-erasure.yaml", ["'k+m'", "'8-3'"]),
    ("duplicate-key.yaml", ["duplicate key 'racks'", "line 7"]),
    ("unclosed-bracket.yaml", ["line 3"]),
    ("absurd-number.yaml", ["at most 100000", "no tariff in any currency"]),
    ("active-params-above-params.yaml", ["above params"]),
    ("zero-efficiency.yaml", ["greater than 0"]),
    ("rack-sum-power.yaml", ["a rack has only quantity and price"]),
    ("non-numeric-sum.yaml", ["not a number", "text"]),
    ("unknown-sum-attribute.yaml", ["security_score", "refers to nothing"]),
    ("availability-one.yaml", ["cannot be reached", "five nines"]),
    ("huge-demand.yaml", ["would need", "more than 10,000,000"]),
])
def test_messages_say_what_was_expected(name, words):
    message = " ".join(d.message for d in validate_scenario(CORPUS / name).diagnostics)
    for word in words:
        assert word in message


def test_corpus_loads_fast():
    start = time.perf_counter()
    for name in FILES:
        load_scenario(CORPUS / name)
    per_file = (time.perf_counter() - start) / len(FILES)
    assert per_file < 1.0  # a sanity guard against runaway expansion, not a benchmark


def test_missing_file(tmp_path):
    result = load_scenario(tmp_path / "nowhere.yaml")
    assert [d.code for d in result.diagnostics] == ["file-not-found"]
    assert result.diagnostics[0].file == str(tmp_path / "nowhere.yaml")
    assert result.scenario is None


def test_directory_is_not_a_file(tmp_path):
    result = load_scenario(tmp_path)
    assert [d.code for d in result.diagnostics] == ["file-unreadable"]


def test_huge_file_is_refused_without_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    filler = "# " + "x" * 98 + "\n"
    path.write_text(VALID + filler * (MAX_FILE_BYTES // len(filler) + 10), encoding="utf-8")
    assert path.stat().st_size > MAX_FILE_BYTES
    start = time.perf_counter()
    result = load_scenario(path)
    assert time.perf_counter() - start < 1.0
    assert [d.code for d in result.diagnostics] == ["file-too-large"]


def test_deeply_nested_brackets_do_not_crash(tmp_path):
    # libyaml's C composer recursed without a bound and segfaulted on this (under 1 MB).
    path = tmp_path / "brackets.yaml"
    path.write_text("description: " + "[" * 200_000 + "]" * 200_000 + "\n", encoding="utf-8")
    result = load_scenario(path)
    assert [d.code for d in result.diagnostics] == ["yaml-too-deep"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(DCPLAN), *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", ["unknown-key.yaml", "alias-bomb.yaml", "binary.bin", "several-errors.yaml"])
def test_cli_exit_code_and_human_output(name):
    done = _run("validate", str(CORPUS / name))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    for code, line, column, _path in EXPECTED[name]:
        assert f"{CORPUS / name}:{line}:{column}: error[{code}]" in done.stdout


def test_cli_json_for_whole_corpus(tmp_path):
    missing = tmp_path / "missing.yaml"
    done = _run("validate", "--format", "json", *(str(CORPUS / n) for n in FILES), str(missing))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    items = json.loads(done.stdout)
    assert isinstance(items, list) and all(isinstance(item, dict) for item in items)
    assert sum(len(v) for v in EXPECTED.values()) + 1 == len(items)
    for item in items:
        assert {"code", "severity", "message", "path", "file"} <= set(item), item
        if item["file"] != str(missing):
            assert {"line", "column"} <= set(item), item
    assert {item["file"] for item in items} == {str(CORPUS / n) for n in FILES} | {str(missing)}
    assert [i["code"] for i in items if i["file"] == str(missing)] == ["file-not-found"]


def test_render_json_matches_library():
    diagnostics = load_scenario(CORPUS / "several-errors.yaml").diagnostics
    items = json.loads(render_json(diagnostics))
    assert [[i["code"], i["line"], i["column"], i["path"]] for i in items] == [_key(d) for d in diagnostics]
