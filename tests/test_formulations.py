"""Speed never costs correctness: the scaled formulation (dominance pruning, clipped
coefficients, valid inequalities, greedy warm start) and the plain reference
formulation reach the same optimum on small generated scenarios."""

from __future__ import annotations

import pytest

from bench.generate import generate
from dcplan.usecases import planning as api
from dcplan.scenario.schema import Scenario


def solve(data: dict, reference: bool, engine: str = "scip"):
    scenario = Scenario.model_validate(data)
    try:
        return api.plan_scenario(scenario, api.SolveOptions(engine=engine, gap=0.0, time_limit=60,
                                                            reference=reference)).objective_value
    except api.NoPlan as no_plan:
        return no_plan.status


@pytest.mark.parametrize("seed", range(1, 7))
@pytest.mark.parametrize("policies", [True, False])
def test_scaled_and_reference_formulations_agree(seed, policies):
    data = generate(workloads=8, servers=10, sites=2, seed=seed, policies=policies)
    scaled, reference = solve(data, reference=False), solve(data, reference=True)
    if isinstance(reference, str):
        assert scaled == reference
    else:
        assert scaled == pytest.approx(reference, rel=1e-6)


@pytest.mark.parametrize("seed", [11, 12])
def test_agree_with_pulp_highs_on_the_reference(seed):
    data = generate(workloads=6, servers=8, sites=2, seed=seed, policies=True)
    assert solve(data, reference=False) == pytest.approx(solve(data, reference=True, engine="highs"), rel=1e-6)


def test_pruning_keeps_the_optimum_when_variants_dominate():
    from dcplan.scenario import catalog
    from dcplan.sizing import pruning as reduce
    from dcplan import sizing
    data = generate(workloads=8, servers=20, sites=2, seed=3, policies=True)
    scenario = Scenario.model_validate(data)
    effective = catalog.effective(scenario.catalog)
    requirements = sizing.size_scenario(scenario, effective)
    _, dropped = reduce.prune_dominated(scenario, effective, requirements)
    assert dropped > 0  # the generated variants do dominate each other
    assert solve(data, reference=False) == pytest.approx(solve(data, reference=True), rel=1e-6)


def test_a_replica_over_two_servers_does_not_dominate_one_on_a_single_server():
    # Seed 6 sizes one inference service on H100 pairs (a replica spans 2 servers) and on single H200s: the
    # pair supplies more per server for less, but is bought two at a time, so the H200 must stay a candidate.
    from dcplan.scenario import catalog
    from dcplan.sizing import pruning as reduce
    from dcplan import sizing
    scenario = Scenario.model_validate(generate(workloads=8, servers=10, sites=2, seed=6, policies=False))
    effective = catalog.effective(scenario.catalog)
    requirements = sizing.size_scenario(scenario, effective)
    pruned, _ = reduce.prune_dominated(scenario, effective, requirements)
    for name, req in pruned.items():
        replicas = {c.item: c.units_per_replica for c in requirements[name].candidates}
        for item, why in req.excluded.items():
            if why.startswith("dominated by "):
                better = why.split()[2].rstrip(":")
                assert replicas[item] % replicas[better] == 0, (name, item, better)
    assert any(c.units_per_replica > 1 for r in requirements.values() for c in r.candidates)



def _pairwise_training_dominates(scenario, workload, a_item, a, b_item, b) -> bool:
    """The training dominance of dcplan.sizing.pruning written pair by pair, from its definition."""
    from dcplan.rules import idle_kw, rack_share
    from dcplan.sizing.pruning import _training_spares
    import math
    na, nb = a.fixed_count, b.fixed_count
    if not (na * a_item.price <= nb * b_item.price and na * a_item.power <= nb * b_item.power
            and na * idle_kw(a_item) <= nb * idle_kw(b_item)):
        return False
    for site in scenario.sites:
        if math.ceil(na * rack_share(site, a_item) - 1e-9) > math.ceil(nb * rack_share(site, b_item) - 1e-9):
            return False
    ports_a = na * (a_item.nics.count if a_item.nics else 0)
    ports_b = nb * (b_item.nics.count if b_item.nics else 0)
    if ports_a > ports_b or (ports_a and (not b_item.nics or a_item.nics.speed > b_item.nics.speed)):
        return False
    return _training_spares(scenario, workload, a_item, na) <= _training_spares(scenario, workload, b_item, nb)


@pytest.mark.parametrize("seed", [3, 6, 9])
def test_pruning_matrices_drop_what_pair_by_pair_dominance_drops(seed):
    # The pruning pass asks dominance of all pairs at once, as matrices; pair by pair, from the definitions
    # (a dominates b and can stand wherever b can; a tie keeps the smaller id), the same candidates go.
    from dcplan.scenario import catalog
    from dcplan.sizing import pruning as reduce
    from dcplan import sizing
    data = generate(workloads=40, servers=24, sites=3, seed=seed, policies=True,
                    mix={"training": 0.3, "inference": 0.3, "cpu": 0.2, "storage": 0.2})
    # Every item twice, under an id that sorts before and after it: ties, where the smaller id stays.
    twins = [dict(item, id=f"{item['id']}-twin") for item in data["catalog"]["servers"]]
    data["catalog"]["servers"] += twins
    data["catalog"]["only"] += [item["id"] for item in twins]
    scenario = Scenario.model_validate(data)
    effective = catalog.effective(scenario.catalog)
    requirements = sizing.size_scenario(scenario, effective)
    pruned, dropped = reduce.prune_dominated(scenario, effective, requirements)
    workloads = {w.name: w for w in scenario.workloads}

    def dominates(req, name, section, a, b) -> bool:
        a_item, b_item = section[a.item], section[b.item]
        if req.kind == "training":
            holds = _pairwise_training_dominates(scenario, workloads[name], a_item, a, b_item, b)
        else:
            holds = reduce._service_dominates(a_item, a, b_item, b, req.demand)
        return holds and reduce._stands_wherever(scenario, a_item, b_item)

    expected, kinds = {}, set()
    for name, req in requirements.items():
        section = effective.storage if req.kind == "storage" else effective.servers
        priced = [c for c in req.candidates if section[c.item].price is not None]
        for b in priced:
            if getattr(section[b.item], "lease", None) is not None:
                continue
            for a in priced:
                if a is not b and dominates(req, name, section, a, b) and (
                        not dominates(req, name, section, b, a) or a.item < b.item):
                    expected[name, b.item] = a.item
                    kinds.add(req.kind)
                    break
    got = {(name, item): why.split()[2].rstrip(":") for name, req in pruned.items()
           for item, why in req.excluded.items() if why.startswith("dominated by ")}
    assert got == expected and dropped == len(expected)
    assert {"training", "inference"} <= kinds  # both kinds of dominance were exercised
    assert any(item.endswith("-twin") for _, item in got)  # and ties


def test_the_unit_matrix_says_what_unit_no_worse_says_of_every_pair():
    # Pruning compares servers' units as one matrix; the build-out's pruning asks the same rule pair by pair.
    # The two must agree, so a rule added to one and not the other fails here.
    from dcplan.scenario import catalog
    from dcplan.sizing import pruning as reduce
    scenario = Scenario.model_validate(generate(workloads=10, servers=40, sites=2, seed=4))
    for section in (catalog.effective(scenario.catalog).servers, catalog.effective(scenario.catalog).storage):
        items = [item for item in section.values() if item.price is not None]
        matrix = reduce._unit_no_worse_matrix(items)
        pairwise = [[reduce._unit_no_worse(a, b) for b in items] for a in items]
        assert matrix.tolist() == pairwise
        assert 0 < matrix.sum() < len(items) ** 2  # some pairs hold and some do not
