"""Sizing: each workload becomes a requirement per candidate item, before the model is built.

Formulas and their sources: docs/model.md, "Sizing". `size_scenario` is the entry point;
`pruning` drops candidates that another candidate dominates; `spares` is the binomial rule.
"""

from __future__ import annotations

from dcplan.scenario.catalog import Catalog
from dcplan.sizing.inference import size_inference
from dcplan.sizing.requirements import Candidate, Requirement, SizingError, resolve_model
from dcplan.sizing.services import size_cpu, size_storage
from dcplan.sizing.training import size_training

_SIZERS = {"training": size_training, "inference": size_inference, "cpu": size_cpu, "storage": size_storage}


def size_workload(workload, catalog: Catalog) -> Requirement:
    """The requirement of one workload against the catalog in effect."""
    return _SIZERS[workload.type](workload, catalog)


def size_scenario(scenario, catalog: Catalog) -> dict[str, Requirement]:
    """Requirements of every workload, by name, in scenario order (storage derived from a training run
    is coupled to the run's candidates: dcplan/sizing/derived.py)."""
    from dcplan.sizing.derived import couple

    return couple({w.name: size_workload(w, catalog) for w in scenario.workloads}, scenario, catalog)


__all__ = ["Candidate", "Requirement", "SizingError", "resolve_model",
           "size_workload", "size_scenario", "size_training", "size_inference", "size_cpu", "size_storage"]
