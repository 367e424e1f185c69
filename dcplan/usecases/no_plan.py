"""Why a run ended without a plan, in plain words: the message, and for an infeasible scenario the reasons
dcplan can find (workloads nothing can serve, limits the requirements do not fit)."""

from __future__ import annotations


def message(status: str, engine: str) -> str:
    """The one-line message of a run that ended without a plan, by the engine's status."""
    if status == "infeasible":
        return "no plan meets every requirement and limit (infeasible)"
    if status == "error":
        return f"the {engine} engine failed without a plan"
    return f"the {engine} engine stopped (time limit) before finding any plan; raise --time-limit or loosen --gap"


def _reasons(req) -> list[tuple[str, str]]:
    """Why candidates were ruled out: every one when latency is the reason (each with the best it
    achieves), else the first six."""
    items = list(req.excluded.items())
    return items if any(why.startswith("cannot meet") for _, why in items) else items[:6]


def _derived_hint(scenario, name: str) -> str:
    """What to do when the storage dcplan derives for a training run cannot be bought."""
    workload = next((w for w in scenario.workloads if w.name == name), None)
    target = getattr(workload, "colocate_with", None)
    if target is None or name != f"{target}.storage":
        return ""
    return (f"; it is the checkpoint and dataset storage of training {target}: price a storage node "
            f"(catalog.prices) or set `storage: null` on {target} if the run uses storage outside the plan")


def reasons(built, requirements, status: str, engine: str, time_limit: float) -> list[str]:
    """Plain-language reasons for an infeasible scenario: workloads nothing can serve, limits hit."""
    from dcplan.solve.diagnose import limits_hit

    if status != "infeasible":
        return []
    hints = []
    for name, req in requirements.items():
        pools = [p for p in built.pools if p.workload == name]
        if not pools:
            reasons = "; ".join(f"{item}: {why}" for item, why in _reasons(req))
            hints.append(f"workload {name}: no purchasable item can serve it ({reasons or 'no candidates'})"
                         + _derived_hint(built.scenario, name))
    if hints:
        return hints
    if time_limit <= 0.05:
        return ["no time was left to find which limits the requirements do not fit (raise --time-limit)"]
    hit = limits_hit(built.lm, engine, time_limit)
    if hit:
        return ["the requirements do not fit these limits: " + line for line in hit]
    return ["no relaxation of site power, racks, limits or constraints makes it feasible: the conflict is "
            "among the requirements themselves (sites allowed, survive_site_failure, durability, network)"]
