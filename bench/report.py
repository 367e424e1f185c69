"""docs/benchmarks.md from one run's results: targets first, then the measurements behind them."""

from __future__ import annotations

from bench import whatif
from bench.scale import GAP, MODES, TARGET_SIZE

METHOD_NAMES = {"lp": "LP relaxation (plain model)", "lp-cuts": "LP relaxation with workload cuts",
                "greedy": "greedy (dcplan.solve.greedy)", "default": "dcplan default", "highs": "PuLP + HiGHS",
                "cbc": "PuLP + CBC"}
STAGES = ("load", "size", "build", "start", "solve", "verify")


def _s(seconds) -> str:
    return "—" if seconds is None else f"{seconds:.2f} s"


def _money(value) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _pct(value, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}%}"


def _met(flag) -> str:
    """yes / NO, or a reason it was not decided (a string) — never a guess."""
    return flag if isinstance(flag, str) else {True: "yes", False: "**NO**", None: "not shown"}[flag]


def _size_name(size) -> str:
    w, s, k = size
    return f"W={w}, S={s}, K={k}"


def kept_sections(previous: str, results: dict) -> str:
    """The sections of the last report that this run does not measure, as they were: the scaling of the
    default path (between its markers, with any note that follows it) when `results` has none, and the
    build-outs at scale (`python -m bench.buildout` writes it; `make bench-full` runs it after this)."""
    from bench import scaling

    kept = []
    if not results.get("scaling") and scaling.BEGIN in previous and scaling.END in previous:
        inside, after = previous.split(scaling.BEGIN, 1)[1].split(scaling.END, 1)
        kept.append((scaling.BEGIN + inside + scaling.END + after.split("\n## ", 1)[0]).rstrip("\n"))
    heading = "\n## Build-outs at scale"
    if heading in previous:
        kept.append(("## Build-outs at scale" + previous.split(heading, 1)[1]).split("\n## ", 1)[0].rstrip("\n"))
    return "".join(f"\n{block}\n" for block in kept)


def report(results: dict) -> str:
    m = results["machine"]
    lines = ["# Benchmarks", "",
             f"Written by `make bench` (`python -m bench --quick`) or `make bench-full` (`python -m bench`); do not "
             f"edit by hand. This file: **{results['mode']} mode**. Start-up and end-to-end times are medians of "
             f"{results['repeat']} runs. Targets are from the issues; ratios compare results of the same run.", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, Python {m['python']}, {m['system']}.", ""]
    lines += targets_section(results)
    lines += startup_section(results)
    if results.get("scale"):
        lines += scale_section(results["scale"])
    if results.get("scaling"):
        from bench import scaling

        lines += scaling.section(results["scaling"]).rstrip("\n").split("\n") + [""]
    if results.get("whatif"):
        lines += whatif.section(results["whatif"])
    lines += engines_section(results)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- targets

def targets_section(results: dict) -> list[str]:
    lines = ["## Targets", "", "| target (issue) | measured | met |", "|---|---|---|"]
    if results.get("e2e"):
        slowest = max(results["e2e"], key=lambda r: r["seconds"])
        ok = all(r["seconds"] < 3 and r["status"] in ("optimal", "feasible") for r in results["e2e"])
        lines.append(f"| every bundled scenario end to end < 3 s | slowest: {slowest['scenario']} "
                     f"{slowest['seconds']:.2f} s | {_met(ok)} |")
    study_rows = whatif.targets(results["whatif"]) if results.get("whatif") else []
    for row in scale_targets(results.get("scale")) + study_rows:
        lines.append(f"| {row[0]} | {row[1]} | {_met(row[2])} |")
    if results.get("validate50"):
        v = results["validate50"]
        lines.append(f"| validate 50 files < 1.5 s | {v['process']:.3f} s (whole process) | "
                     f"{_met(v['process'] < 1.5)} |")
    for name, seconds, target in results.get("startup", []):
        if "help" in name:
            lines.append(f"| cold `--help` < {target} s | {seconds:.3f} s | {_met(seconds < target)} |")
    return lines + [""]


def scale_targets(scale: dict | None) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for the issue's targets at scale; None = not measured in this run."""
    if not scale or not scale["sizes"]:
        return []
    by_size = {tuple(r["size"]): r for r in scale["sizes"]}
    target = by_size.get(TARGET_SIZE)
    largest = scale["sizes"][-1]
    rows = []
    w1000 = "W=1000, S=60, K=4"
    if target is None:
        proxy = f"not measured in {scale['mode']} mode (`make bench-full`); at {_size_name(largest['size'])}: "
        rows.append((f"{w1000}: verified plan within 1 % of the LP bound in ≤ 60 s",
                     proxy + _quality(largest), "not measured"))
        rows.append((f"{w1000}: build ≤ 5 s", proxy + _s(_stage(largest, "build")), "not measured"))
        rows.append((f"{w1000}: peak memory ≤ 2 GB", proxy + _mib(largest), "not measured"))
    else:
        run, derived = target["runs"]["default"], target["derived"]["per_method"]["default"]
        ok = (run.get("verified") and derived["gap_vs_best"] is not None and derived["gap_vs_best"] <= 0.01
              and run.get("total", 1e9) <= 60)
        rows.append((f"{w1000}: verified plan within 1 % of the LP bound in ≤ 60 s", _quality(target), bool(ok)))
        build = _stage(target, "build")
        rows.append((f"{w1000}: build ≤ 5 s", _s(build), None if build is None else build <= 5))
        peak = run.get("peak_mib")
        rows.append((f"{w1000}: peak memory ≤ 2 GB", _mib(target), None if peak is None else peak <= 2048))
    where = "" if target is not None else f" (at {_size_name(largest['size'])})"
    speed = largest["derived"]["speed_vs_cbc"]
    rows.append(("≥ 10× faster than PuLP+CBC to equal gap (or CBC no plan in 10× the time)" + where,
                 speed["text"], speed["met"]))
    cheaper = largest["derived"]["per_method"]["default"]["cheaper_than_greedy"]
    rows.append(("≥ 5 % cheaper than greedy" + where,
                 f"{_pct(cheaper, 2)} cheaper ({_money(largest['runs']['default'].get('objective'))} vs "
                 f"{_money(largest['runs']['greedy'].get('objective'))})",
                 None if cheaper is None else cheaper >= 0.05))
    return rows


def _stage(size_result: dict, stage: str, method: str = "default"):
    return size_result["runs"][method].get("stages", {}).get(stage)


def _mib(size_result: dict, method: str = "default") -> str:
    peak = size_result["runs"][method].get("peak_mib")
    return "—" if peak is None else f"{peak:,.0f} MiB"


def _quality(size_result: dict) -> str:
    run = size_result["runs"]["default"]
    derived = size_result["derived"]["per_method"]["default"]
    if run.get("objective") is None:
        return f"{run.get('status')}: {run.get('message', 'no plan')} (total {_s(run.get('total'))})"
    return (f"{'verified' if run.get('verified') else 'UNVERIFIED'} {run.get('status')} plan in "
            f"{_s(run.get('total'))}, {_pct(derived['gap_vs_best'], 2)} above the best proven LP bound "
            f"({_pct(derived['gap_vs_lp'])} above the plain model's LP relaxation)")


# --------------------------------------------------------------------------- sections

def _against_baseline(baseline: dict | None) -> list[str]:
    """Start-up now against the layout before the stage subpackages, measured in turn in this run."""
    if not baseline or not baseline["rows"]:
        return ["Start-up against the earlier layout: not measured (no git history in this checkout).", ""]
    lines = [f"Start-up against commit {baseline['revision']} (the flat layout before the stage subpackages), "
             "run in turn with the same interpreter in this run; ratio = now / before, median of pairs:", "",
             "| measure | now | before | ratio | no slower |", "|---|---|---|---|---|"]
    for row in baseline["rows"]:
        lines.append(f"| {row['measure']} | {row['now']:.3f} s | {row['before']:.3f} s | {row['ratio']:.2f} | "
                     f"{'yes' if row['ratio'] <= 1.05 else 'NO'} |")
    return lines + [""]


def startup_section(results: dict) -> list[str]:
    lines = ["## Start-up and validation", "", "| measure | time | target | met |", "|---|---|---|---|"]
    for name, seconds, target in results["startup"]:
        lines.append(f"| {name} | {seconds:.3f} s | < {target} s | {'yes' if seconds < target else 'NO'} |")
    v = results["validate50"]
    lines += [f"| validate 50 files in one process (whole process) | {v['process']:.3f} s | < 1.5 s | "
              f"{'yes' if v['process'] < 1.5 else 'NO'} |",
              f"| of which importing the loader | {v['import']:.3f} s | | |",
              f"| of which loading and checking 50 files | {v['loop']:.3f} s "
              f"({v['loop'] / 50 * 1000:.1f} ms per file) | | |", "",
              f"Solver modules imported by validation: {', '.join(v['solvers']) or 'none'}.", "",
              *_against_baseline(results.get("startup_baseline")),
              "## Bundled scenarios end to end (`dcplan solve FILE --format json`, process start to output)", "",
              "| scenario | status | time | target | met |", "|---|---|---|---|---|"]
    for row in results["e2e"]:
        lines.append(f"| {row['scenario']} | {row['status']} | {row['seconds']:.2f} s | < 3 s | "
                     f"{'yes' if row['seconds'] < 3 else 'NO'} |")
    return lines + [""]


def scale_section(scale: dict) -> list[str]:
    quick, full = MODES["quick"], MODES["full"]
    lines = ["## Planning at scale (generated scenarios)", "",
             "Scenarios from `bench/generate.py` (seed 1; mix 5 % training, 45 % inference, 40 % cpu, 10 % "
             "storage; policies on). S counts server and storage types, K sites. Every method runs in its own "
             f"process with the issue's {GAP:.0%} gap and a time limit T for the whole run: the engine gets what "
             "is left of T after loading, sizing and building. Stage times are measured on dcplan's own path "
             "(`api.plan_scenario`): *build* includes pruning dominated candidates, *start* is the greedy warm "
             "start, *verify* includes extracting the plan. Peak memory is the process's maximum "
             "resident set (wait4 `ru_maxrss`, engine subprocesses included). *gap vs plain LP* = (objective − "
             "LP bound) / objective, where the LP bound is the plain model with every variable continuous "
             "(GLOP); *gap vs best bound* uses the best proven bound of the run: the largest of that LP, the LP "
             "relaxation of dcplan's formulation with its workload cuts (docs/model.md, \"Workload cuts\"), "
             "and the bound dcplan's default reports (HiGHS's dual bound, or for large models the Lagrangian "
             "bound of the configuration LP). Every one of them is a proven lower bound on every plan. "
             "*cheaper than greedy* = (greedy − objective) / greedy. The greedy plan is evaluated on the "
             "model's rows and passed through dcplan.plan.verify. PuLP + CBC and PuLP + HiGHS are baselines: dcplan's "
             "plain formulation (`SolveOptions(reference=True)`: no pruning, strengthening or warm start), as "
             "a modeller writing the same MILP for PuLP would solve it. CBC runs last with 10 × the default's "
             "solve time (at least T, at most a cap), so \"no plan in 10× the time\" can be shown; it "
             "\"reaches the gap\" when it proves the 1 % gap or stops with a plan as good as the default's.", "",
             f"Sizes: quick mode (`make bench`) W ∈ {{{', '.join(str(s[0]) for s in quick['sizes'])}}}, "
             f"S = {quick['sizes'][0][1]}, K = {quick['sizes'][0][2]}, T = {quick['time_limit']:.0f} s, CBC cap "
             f"{quick['cbc_cap']:.0f} s (a few minutes on 2 cores); full mode (`make bench-full`) "
             f"W ∈ {{{', '.join(str(s[0]) for s in full['sizes'])}}}, S = {full['sizes'][0][1]}, "
             f"K = {full['sizes'][0][2]}, T = {full['time_limit']:.0f} s, CBC cap {full['cbc_cap']:.0f} s "
             "(about 30 minutes on this machine, most of it CBC: up to 12 minutes per size).", ""]
    for size_result in scale["sizes"]:
        lines += _size_table(size_result)
    return lines


def _size_table(result: dict) -> list[str]:
    derived = result["derived"]
    lines = [f"### {_size_name(result['size'])}", "",
             f"`{result['command']}`; T = {result['time_limit']:.0f} s. LP bound of the plain model "
             f"{_money(derived['lp_bound'])}; with workload cuts {_money(derived.get('lp_cuts_bound'))}; best "
             f"proven bound {_money(derived['best_bound'])}.", "",
             "| method | engine | status | " + " | ".join(STAGES) + " | total | peak memory | objective | bound | "
             "gap (engine) | gap vs plain LP | gap vs best bound | cheaper than greedy |",
             "|---|---|---|" + "---|" * len(STAGES) + "---|---|---|---|---|---|---|---|"]
    for name in ("default", "highs", "cbc", "greedy", "lp", "lp-cuts"):
        if name not in result["runs"]:
            continue
        run = result["runs"][name]
        d = derived["per_method"][name]
        stages = " | ".join(_s(run.get("stages", {}).get(stage)) for stage in STAGES)
        status = run.get("status", "?")
        if run.get("objective") is None and not name.startswith("lp"):
            status = f"no plan in {run.get('limit', result['time_limit']):.0f} s ({status})"
        elif run.get("verified"):
            status += ", verified"
        if run.get("warm_start_only"):
            status += "; the greedy warm start (the engine found no plan)"
        label = METHOD_NAMES[name] + (" (plain model)" if run.get("reference") else "")
        lines.append(f"| {label} | {run.get('engine', '—')} | {status} | {stages} | "
                     f"{_s(run.get('total'))} | {run.get('peak_mib', 0):,.0f} MiB | {_money(run.get('objective'))} | "
                     f"{_money(run.get('bound'))} | {_pct(run.get('gap'))} | {_pct(d['gap_vs_lp'])} | "
                     f"{_pct(d['gap_vs_best'], 2)} | "
                     f"{_pct(d['cheaper_than_greedy'], 2) if name != 'greedy' else '—'} |")
    lines += ["", f"Speed vs CBC: {derived['speed_vs_cbc']['text']}.", ""]
    messages = [f"{METHOD_NAMES[n]}: {r['message']}" for n, r in result["runs"].items()
                if r.get("message") and not r.get("warm_start_only")]
    if messages:
        lines += ["Notes: " + " ".join(f"{m.rstrip('.')}." for m in messages), ""]
    return lines


def engines_section(results: dict) -> list[str]:
    lines = ["## Engines on the bundled scenarios (in-process solve time; ratio to SCIP in the same run)", "",
             "| scenario | engine | status | objective | build | solve | × SCIP |", "|---|---|---|---|---|---|---|"]
    baseline = {r["scenario"]: r["solve"] for r in results["engines"] if r["engine"] == "scip"}
    for r in results["engines"]:
        ratio = r["solve"] / baseline[r["scenario"]] if baseline.get(r["scenario"]) else float("nan")
        lines.append(f"| {r['scenario']} | {r['engine']} | {r['status']} | {r['objective']:,.0f} | "
                     f"{r['build']:.3f} s | {r['solve']:.3f} s | {ratio:.1f} |")
    return lines
