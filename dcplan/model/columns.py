"""What each pool is, as arrays: one code per pool for its item, site, isolation group and workload.

The families that sum over pools (network ports, racks, power, plan totals) group the pools by these
labels. Reading them from 52,000 Pool objects (W=1000 × 60 × 4) once per family cost about 0.1 s of a
1 s build, so `add_pools` records them as it makes the pools, a whole candidate (all its sites) at a
time. A model whose pools were gathered some other way (a build-out's periods) gets them by reading
the pools once (`pool_columns`), the same arrays by another road (a test compares both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PoolColumns:
    """Pool p holds item `items[item[p]]` (a (kind, item id) pair) at site `site[p]` (an index into
    scenario.sites), in isolation group `groups[group[p]]`, for workload `workloads[workload[p]]`; its
    active units are unit_coef[p]·x[unit_var[p]], loaded at `load[p]` (the candidate's load)."""

    items: list[tuple[str, str]]
    groups: list[str]
    workloads: list[str]
    item: np.ndarray
    site: np.ndarray
    group: np.ndarray
    workload: np.ndarray
    training: np.ndarray
    unit_var: np.ndarray
    unit_coef: np.ndarray
    load: np.ndarray


class ColumnRecorder:
    """Collects PoolColumns while add_pools makes the pools: one call per candidate and its sites, what is
    the same at every site written once (expanded to one entry per pool at the end)."""

    def __init__(self, site_names: list[str]):
        self.site_index = {name: index for index, name in enumerate(site_names)}
        self.items: dict[tuple[str, str], int] = {}
        self.groups: dict[str, int] = {}
        self.workloads: dict[str, int] = {}
        self.calls: list[tuple] = []  # (item, group, workload, training, unit_coef, load, pools) per call
        self.sites: list[int] = []
        self.unit_vars: list[int] = []

    def add(self, kind: str, item: str, sites: list[str], group: str, workload: str, unit_vars: list[int],
            unit_coef: float, load: float) -> None:
        """Pools of one candidate (`item`) of `workload`, one per site in `sites`, in the order they were made."""
        self.calls.append((self.items.setdefault((kind, item), len(self.items)),
                           self.groups.setdefault(group, len(self.groups)),
                           self.workloads.setdefault(workload, len(self.workloads)),
                           kind == "training", unit_coef, load, len(sites)))
        self.sites += map(self.site_index.__getitem__, sites)
        self.unit_vars += unit_vars

    def finish(self) -> PoolColumns:
        calls = np.array(self.calls, dtype=float).reshape(-1, 7)
        pools = calls[:, 6].astype(np.int64)
        each = [np.repeat(calls[:, k], pools) for k in range(6)]
        return PoolColumns(list(self.items), list(self.groups), list(self.workloads),
                           each[0].astype(np.int64), np.array(self.sites, dtype=np.int64), each[1].astype(np.int64),
                           each[2].astype(np.int64), each[3].astype(bool), np.array(self.unit_vars, dtype=np.int64),
                           each[4], each[5])


def pool_columns(built) -> PoolColumns:
    """The columns add_pools recorded, or, for pools gathered otherwise, the same read from the pools."""
    if "columns" not in built.tables:
        built.tables["columns"] = read_columns(built.pools, [s.name for s in built.scenario.sites])
    return built.tables["columns"]


def read_columns(pools, site_names: list[str]) -> PoolColumns:
    """PoolColumns of `pools`, pool by pool."""
    recorder = ColumnRecorder(site_names)
    for pool in pools:
        recorder.add(pool.kind, pool.item, [pool.site], pool.group, pool.workload, [pool.unit[0]], pool.unit[1],
                     pool.candidate.load)
    return recorder.finish()


def first_seen(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distinct codes in the order they first appear, each element's position in that list, where each
    distinct code first appears): the order a dict filled in a loop over the pools would have, so rows and
    variables keep their order and names."""
    distinct, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty(len(distinct), dtype=np.int64)
    rank[order] = np.arange(len(distinct))
    return distinct[order], rank[inverse.reshape(-1)], first[order]
