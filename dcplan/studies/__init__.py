"""Studies: many plans of one scenario — sweeps, Monte Carlo samples and Pareto frontiers.

`sweep` (sweep.py) solves every combination of `--vary` values, or N draws from distributions;
`pareto` (pareto.py) finds the exact frontier between two objectives by the epsilon-constraint
method. Both read, validate and size the scenario once (points.py, sizing.py) and run their
solves on an executor (executors.py: local processes; ray_executor.py: a Ray cluster) as tasks
(tasks.py) that always end in a row, never in an exception. docs/whatif.md shows them at work.
"""
