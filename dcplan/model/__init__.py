"""The model: one mixed-integer linear model of the whole purchase (docs/model.md).

`build(scenario, catalog, requirements)` writes every constraint family into an
engine-neutral LinearModel; dcplan.solve hands it to an engine.
"""

from dcplan.model.build import build
from dcplan.model.built import (BuiltModel, Fabric, ModelInputError, Pool, constraint_name, optics_count, pools_of,
                                switch_count)

__all__ = ["build", "BuiltModel", "constraint_name", "Fabric", "ModelInputError", "Pool", "optics_count", "pools_of", "switch_count"]
