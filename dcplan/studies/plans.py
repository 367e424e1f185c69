"""`--plans DIR`: every point's plan JSON, all or nothing.

Plans are written as their rows arrive, each atomically, into a hidden staging folder inside DIR;
when the study ends they move into DIR (a rename each). An interrupted or failed study removes the
staging folder, so DIR never holds a half-finished study's plans. A plan file is exactly what
`dcplan solve --format json` writes for that point.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from dcplan.atomic import write_atomic
from dcplan.studies.vary import StudyInputError


class PlanStore:
    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.created = not self.directory.exists()  # removed again if the study ends without its plans
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self.staging = Path(tempfile.mkdtemp(prefix=".dcplan-plans-", dir=self.directory))
        except OSError as err:
            raise StudyInputError(f"--plans {directory}: cannot write there: {err.strerror or err}") from None
        self.names: list[str] = []

    def write(self, name: str, plan: dict) -> str:
        """Stage one plan; return the path it will have once the study is complete."""
        write_atomic(self.staging / name, json.dumps(plan, indent=2, allow_nan=False) + "\n")
        self.names.append(name)
        return str(self.directory / name)

    def commit(self) -> None:
        for name in self.names:
            os.replace(self.staging / name, self.directory / name)
        shutil.rmtree(self.staging, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        if self.created:  # rmdir: only if it is still empty
            try:
                self.directory.rmdir()
            except OSError:
                pass


class NoStore:
    """No --plans: nothing is kept."""

    def write(self, name: str, plan: dict) -> None:
        return None

    def commit(self) -> None:
        pass

    def discard(self) -> None:
        pass


def plan_store(directory) -> PlanStore | NoStore:
    return PlanStore(directory) if directory else NoStore()
