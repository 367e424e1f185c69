"""The one-way rule, enforced: no module imports a later stage, the CLI imports no engine, and
`dcplan validate` / `dcplan --help` import no solver, no numpy and nothing of the later stages.

Stages, in the order data flows (docs/architecture.md):
  ground (diagnostics, errors, vocab, rules, atomic) → scenario → sizing → model → solve → plan
  → usecases → studies → report → cli
Imports inside functions count: a dependency hidden in a function is still a dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "dcplan"
STAGES = ("ground", "scenario", "sizing", "model", "solve", "plan", "usecases", "studies", "report", "cli")
GROUND = {"diagnostics", "errors", "vocab", "rules", "atomic"}
ENGINES = ("ortools", "pulp", "highspy")
CLI_MAY_IMPORT = ("dcplan", "dcplan.cli", "dcplan.report", "dcplan.diagnostics", "dcplan.vocab", "dcplan.atomic")


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def stage_of(module: str) -> str | None:
    """The stage of a dcplan module; None for the package itself (the lazy library surface)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    if parts[1] == "__main__":  # `python -m dcplan` is the CLI's entry point
        return "cli"
    return "ground" if parts[1] in GROUND else parts[1]


def imports(module: str, path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def known(name: str, all_modules: dict) -> str | None:
    """The dcplan module an import names (the longest known prefix), or None if it is not dcplan's."""
    while name and name not in all_modules:
        name = name.rsplit(".", 1)[0] if "." in name else ""
    return name or None


def test_every_module_belongs_to_a_stage():
    for module in modules():
        stage = stage_of(module)
        assert stage is None or stage in STAGES, f"{module} is in no stage; add it to STAGES or GROUND"


def test_no_module_imports_a_later_stage():
    all_modules = modules()
    problems = []
    for module, path in all_modules.items():
        mine = stage_of(module)
        if mine is None:
            continue
        for name, line in imports(module, path):
            target = known(name, all_modules) if name.startswith("dcplan") else None
            theirs = stage_of(target) if target else None
            if theirs is not None and STAGES.index(theirs) > STAGES.index(mine):
                problems.append(f"{path.relative_to(ROOT)}:{line}: {mine} imports {target} ({theirs})")
    assert not problems, "\n".join(problems)


def test_the_cli_uses_only_the_library_surface_and_the_renderers():
    all_modules = modules()
    problems = []
    for module, path in all_modules.items():
        if stage_of(module) != "cli":
            continue
        for name, line in imports(module, path):
            if name.split(".")[0] in ENGINES:
                problems.append(f"{path.relative_to(ROOT)}:{line}: the CLI imports the engine {name}")
            target = known(name, all_modules) if name.startswith("dcplan") else None
            if target and not any(target == allowed or target.startswith(allowed + ".")
                                  for allowed in CLI_MAY_IMPORT if allowed != "dcplan") and target != "dcplan":
                problems.append(f"{path.relative_to(ROOT)}:{line}: the CLI imports {target}; use `import dcplan`")
    assert not problems, "\n".join(problems)


def test_verification_imports_nothing_of_the_model():
    """verify recomputes a plan from the scenario alone: a model bug cannot hide in the check."""
    path = PACKAGE / "plan" / "verify.py"
    names = [name for name, _ in imports("dcplan.plan.verify", path)]
    assert not [n for n in names if n.startswith(("dcplan.model", "dcplan.solve"))], names


LATE = ("dcplan.model", "dcplan.solve", "dcplan.plan", "dcplan.usecases", "dcplan.sizing", "dcplan.studies", "ray")
# `dcplan validate` refuses whatever `solve` would refuse as input, and some of that only sizing shows (a
# workload only unpriced items could serve, a demand of more than ten million units, an availability spares
# cannot reach): so it runs the validation use case, which sizes each workload. Sizing is arithmetic over the
# catalog (no model, no solver, no numpy), so validate may import exactly those; nothing later.
VALIDATE_MAY_IMPORT = ("dcplan.usecases", "dcplan.usecases.validate", "dcplan.sizing")


@pytest.mark.parametrize("argv", [["validate", "scenarios/inference-platform.yaml"], ["--help"], ["solve", "--help"],
                                  ["sweep", "--help"], ["pareto", "--help"]])
def test_fast_commands_import_no_solver_numpy_or_later_stage(argv):
    code = ("import sys\nfrom dcplan.cli import main\nsys.argv = ['dcplan', *%r]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] in ('ortools', 'pulp', 'highspy', "
            "'numpy') or m.startswith(%r)))" % (argv, LATE))
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    loaded = ast.literal_eval(done.stdout.rsplit("LOADED", 1)[-1].strip())
    if argv[0] == "validate":
        loaded = [m for m in loaded if not (m in VALIDATE_MAY_IMPORT or m.startswith("dcplan.sizing."))]
    assert loaded == [], f"dcplan {' '.join(argv)} imported {loaded}"


def test_modules_and_functions_stay_small():
    """Modules of a few hundred lines (never over 500), functions of about fifty (never over 80)."""
    problems = []
    for module, path in modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 500:
            problems.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > 80:
                    problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name} is {length} lines")
    assert not problems, "\n".join(problems)


def test_no_import_cycles():
    """No two modules import each other, directly or around a loop (imports inside functions count)."""
    all_modules = modules()
    graph = {m: set() for m in all_modules}
    for module, path in all_modules.items():
        for name, _ in imports(module, path):
            target = known(name, all_modules) if name.startswith("dcplan") else None
            if target and target != module and not module.startswith(target + "."):
                graph[module].add(target)
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(nxt):] + [nxt])
                                     if nxt in trail else f"import cycle through {nxt}")
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
