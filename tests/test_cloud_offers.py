"""The built-in cloud offers: priced per hour from public price lists, each with its source and date, usable
at a cloud site without typing a price; `sites[].provider` keeps each provider's offers at its own sites.
Optima are brute-forced from what sizing says one instance serves (tests/planner_cases.py conventions)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from dcplan.cli import app
from dcplan.scenario.catalog import builtin, effective
from dcplan.scenario.load import load_scenario
from dcplan.sizing import size_scenario

from planner_cases import brute_min, check_optimal, validate

OFFERS = ("gcp-tpu-v6e-8-1y", "gcp-a3-highgpu-8g-1y", "aws-p5-48xlarge")
YEAR = {"gcp-tpu-v6e-8-1y": 15.12 * 8760, "gcp-a3-highgpu-8g-1y": 61.38 * 8760, "aws-p5-48xlarge": 55.04 * 8760}


def _chat(rps: float) -> dict:
    """llama3-8b chat on the built-in catalog, served by cloud offers only, over one year."""
    work = dict(name="chat", type="inference", model="llama3-8b", requests_per_s=rps, prompt_tokens=1000,
                output_tokens=250, max_tpot="30 ms", servers=list(OFFERS))
    sites = [{"name": "gcp", "cloud": True, "provider": "google-cloud"},
             {"name": "aws", "cloud": True, "provider": "aws"}]
    return {"dcplan": 1, "name": "cloud", "objective": "tco", "horizon": 1, "sites": sites, "workloads": [work]}


def _optimum(data: dict) -> tuple[float, dict]:
    """The least yearly cost over whole instances of each offer, from sizing's requests/s per instance."""
    loaded = validate(data)
    served = {c.item: c.per_unit["requests_per_s"]
              for c in size_scenario(loaded, effective(loaded.catalog))["chat"].candidates}
    rps = data["workloads"][0]["requests_per_s"]
    return brute_min([range(int(rps // served[o]) + 2) for o in OFFERS],
                     lambda v: sum(n * YEAR[o] for n, o in zip(v, OFFERS)),
                     lambda v: sum(n * served[o] for n, o in zip(v, OFFERS)) >= rps), served


def test_every_built_in_cloud_offer_is_priced_sourced_and_dated():
    offers = [s for s in builtin().servers.values() if s.cloud]
    assert {s.provider for s in offers} == {"google-cloud", "aws", "azure"}
    for offer in offers:
        assert offer.price is None and offer.lease.price_per_hour > 0 and offer.source and offer.lease.source
        assert offer.lease.price_date and offer.rack_units == 0 and offer.nics is None


def test_a_cloud_tpu_lease_is_chosen_when_it_is_cheaper():
    """75 requests/s for a year: three TPU v6e hosts (3 x 132,451.2 = 397,353.6; 28.9 requests/s each) serve it for
    less than one H100 instance (p5: 482,150.4; A3: 537,688.8). No measurement covers TPUs, so their compute is
    the lowest share of a datasheet peak any measured family reaches (the MI300X with released vLLM builds, 0.157):
    a plan does not favour them beyond what is known, and they still win where they are this much cheaper."""
    data = _chat(75)
    expected, served = _optimum(data)
    assert 2 * served["gcp-tpu-v6e-8-1y"] < 75 <= 3 * served["gcp-tpu-v6e-8-1y"] < served["aws-p5-48xlarge"]
    assert expected == pytest.approx(3 * YEAR["gcp-tpu-v6e-8-1y"]) and expected < YEAR["aws-p5-48xlarge"]
    plan = check_optimal(data, expected, "highs")
    assert [(b.site, b.item, b.quantity, b.sourcing) for b in plan.bom] == \
        [("gcp", "gcp-tpu-v6e-8-1y", 3, "leased")]


def test_a_gpu_instance_wins_when_the_tpu_hosts_would_cost_more():
    """124 requests/s: one p5 (482,150.4) serves it (sizing: 128.6 requests/s per p5); four TPU hosts serve 115.6
    (28.9 each, at the uncalibrated compute share above), and the five it takes would cost 662,256. The p5 runs at
    the AWS site only."""
    data = _chat(124)
    expected, served = _optimum(data)
    assert 4 * served["gcp-tpu-v6e-8-1y"] < 124 <= served["aws-p5-48xlarge"]
    assert 5 * YEAR["gcp-tpu-v6e-8-1y"] > YEAR["aws-p5-48xlarge"]
    assert expected == pytest.approx(YEAR["aws-p5-48xlarge"])
    plan = check_optimal(data, expected, "highs")
    assert [(b.site, b.item, b.quantity) for b in plan.bom] == [("aws", "aws-p5-48xlarge", 1)]


def test_a_provider_with_no_offers_is_refused_with_its_position(tmp_path):
    text = ("dcplan: 1\nname: cloud\nsites:\n  - {name: dc, power: 1 MW, racks: 10, rack_power: 20 kW}\n"
            "  - {name: oci, cloud: true, provider: oracle}\n"
            "workloads:\n  - {name: etl, type: cpu, vcpus: 64}\n")
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    found = load_scenario(path).diagnostics
    assert [(d.code, d.path, d.line) for d in found] == [("unknown-provider", "sites[1].provider", 5)]
    run = CliRunner().invoke(app, ["validate", str(path)])
    assert run.exit_code == 2 and "sites[1].provider" in run.output and "google-cloud" in run.output


@pytest.mark.parametrize("site, reason", [({"name": "dc", "power": 10, "racks": 1, "rack_power": 10,
                                            "provider": "aws"}, "for cloud sites")])
def test_a_provider_on_an_owned_site_is_refused(site, reason):
    from pydantic import ValidationError

    data = _chat(75)
    data["sites"].append(site)
    with pytest.raises(ValidationError, match=reason):
        validate(data)


def test_catalog_list_shows_the_built_in_offers():
    run = CliRunner().invoke(app, ["catalog", "list", "--format", "json"])
    assert run.exit_code == 0, run.output
    assert "gcp-tpu-v6e-8-1y" in run.stdout and "azure-nd96isr-h100-v5" in run.stdout
