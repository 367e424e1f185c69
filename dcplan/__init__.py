"""dcplan: capacity planner for AI data centres.

Library first: `dcplan.scenario_file.load_scenario` reads and validates a
scenario; the CLI (`dcplan.cli`) is a thin layer over the library.
"""

__version__ = "0.1.0"
