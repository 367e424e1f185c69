"""bench/scaling.py's reading of its runs: a target is met only by what the run proved, and the section
replaces itself in docs/benchmarks.md without touching the rest."""

from __future__ import annotations

from bench import scaling


def _run(status, wall, gap, build=0.5, peak=500.0, bound=1.0, verified=True, load=0.5):
    return {"status": status, "wall": wall, "gap": gap, "bound": bound, "objective": 100.0, "verified": verified,
            "peak_mib": peak, "total": wall - 0.3, "stages": {"build": build, "load": load}}


def _results(w1000, w5000, w10000, check):
    return {"gap": 0.01, "load": (1.0, 1.0, 1.0), "seeds": [],
            "sizes": [{"size": (1000, 60, 4), "time_limit": 60.0, "run": w1000},
                      {"size": (5000, 60, 8), "time_limit": 120.0, "run": w5000},
                      {"size": (10000, 60, 8), "time_limit": 300.0, "run": w10000}],
            "limit_check": {"size": (5000, 60, 8), "time_limit": 20.0, "run": check}}


def test_targets_are_met_only_by_proven_gaps_within_time():
    good = _results(_run("optimal", 12.0, 0.008), _run("optimal", 100.0, 0.009, peak=3000.0),
                    _run("feasible", 280.0, 0.05), _run("feasible", 20.5, 0.04, load=1.0))
    assert [met for _, _, met in scaling.targets(good)] == [True, True, True, True, True]
    bad = _results(_run("feasible", 61.0, 0.02, build=3.0), _run("optimal", 100.0, 0.009, peak=5000.0),
                   _run("feasible", 280.0, 0.05, bound=None), _run("feasible", 25.0, 0.04, load=1.0))
    assert [met for _, _, met in scaling.targets(bad)] == [False, False, False, False, False]
    assert "not in 60 s (gap 2.00%)" in scaling.section(bad)


def test_the_section_replaces_only_itself():
    results = _results(_run("optimal", 12.0, 0.008), _run("optimal", 100.0, 0.009), _run("optimal", 200.0, 0.01),
                       _run("feasible", 20.5, 0.04))
    document = "# Benchmarks\n\nbefore\n"
    once = scaling.splice(document, scaling.section(results))
    twice = scaling.splice(once, scaling.section(results))
    assert once == twice and once.startswith(document) and once.count(scaling.BEGIN) == 1
    assert scaling.splice(once + "\nafter\n", "X\n").endswith("X\n\nafter\n")


def test_sizes_left_out_are_named_and_their_targets_not_claimed():
    results = _results(_run("optimal", 12.0, 0.008), _run("optimal", 100.0, 0.009), _run("optimal", 200.0, 0.01),
                       _run("feasible", 20.5, 0.04))
    results["sizes"] = [entry for entry in results["sizes"] if entry["size"][0] <= 5000]
    results["left_out"] = [10000]
    text = scaling.section(results)
    assert "Not measured in this run (`--max-workloads`): W = 10,000." in text
    assert "W=10,000, S=60, K=8" not in text


def test_a_quick_report_keeps_the_sections_it_does_not_measure():
    """`make bench` rewrites docs/benchmarks.md without the scaling and build-out runs of `make bench-full`:
    those sections (the scaling one with its markers and the note after it) are carried over as they were."""
    from bench.report import kept_sections

    previous = ("# Benchmarks\n\n## Engines\n\n| a |\n\n" + scaling.BEGIN + "\n## Scaling of the default path\n\nT\n"
                + scaling.END + "\n\n### After this run\n\nnote\n\n## Build-outs at scale\n\nB\n")
    kept = kept_sections(previous, {"scaling": None})
    assert kept.count(scaling.BEGIN) == 1 and kept.count(scaling.END) == 1
    assert "### After this run\n\nnote" in kept and "## Build-outs at scale\n\nB" in kept
    assert "## Engines" not in kept
    assert scaling.BEGIN not in kept_sections(previous, {"scaling": {"sizes": []}})  # measured again: not kept


def _held_out_results(seed_one_walls, seeds, mixes):
    """Seed 1's runs (the size table's first), held-out seeds {seed: run} and mixes {name: run}."""
    first, *again = seed_one_walls
    results = _results(_run("optimal", first, 0.008), _run("optimal", 100.0, 0.009), _run("optimal", 200.0, 0.01),
                       _run("feasible", 20.5, 0.04))
    size = (1000, 60, 4)
    results["repeats"] = [{"seed": 1, "size": size, "time_limit": 60.0, "run": _run("optimal", wall, 0.008)}
                          for wall in again]
    results["seeds"] = [{"seed": seed, "size": size, "time_limit": 60.0, "run": run} for seed, run in seeds.items()]
    results["mixes"] = [{"mix": name, "shares": {"training": 0.1, "inference": 0.9}, "size": size,
                         "time_limit": 60.0, "run": run} for name, run in mixes.items()]
    return results


def test_held_out_scenarios_are_judged_against_the_spread_of_seed_one_in_the_same_run():
    """Seed 1 ran 10.0, 10.4 and 10.8 s: median 10.4 s, spread 0.8 / 10.4; a held-out scenario is within the
    noise up to 10.4 × (1 + 0.8 / 10.4) = 11.2 s, and only if it proved the gap."""
    within = _held_out_results([10.0, 10.4, 10.8], {2: _run("optimal", 11.1, 0.009)},
                               {"inference-heavy": _run("optimal", 9.0, 0.008)})
    median, spread, rows = scaling.held_out(within)
    assert median == 10.4 and abs(spread - 0.8 / 10.4) < 1e-12
    assert [(label, within_noise) for label, _, _, within_noise in rows] == [("seed 2", True),
                                                                            ("mix inference-heavy", True)]
    assert scaling.targets(within)[-2][2] is True
    slower = _held_out_results([10.0, 10.4, 10.8], {2: _run("optimal", 11.3, 0.009)},
                               {"inference-heavy": _run("optimal", 9.0, 0.008)})
    assert scaling.targets(slower)[-2][2] is False
    assert "seed 2, 11.3 s = 1.09×" in scaling.targets(slower)[-2][1]
    unproven = _held_out_results([10.0, 10.4, 10.8], {}, {"inference-heavy": _run("feasible", 9.0, 0.02)})
    assert scaling.targets(unproven)[-2][2] is False  # fast, but it did not prove the gap
    text = scaling.section(slower)
    assert "| seed 1 (run 3) |" in text and "1.09× (**beyond the noise**) |" in text
    assert "10% training, 90% inference" in text


def test_without_held_out_runs_no_held_out_target_is_claimed():
    results = _results(_run("optimal", 12.0, 0.008), _run("optimal", 100.0, 0.009), _run("optimal", 200.0, 0.01),
                       _run("feasible", 20.5, 0.04))
    assert scaling.held_out(results) is None
    assert not any("Held-out" in target for target, _, _ in scaling.targets(results))
