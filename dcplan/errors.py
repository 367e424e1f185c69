"""Exceptions that cross stages. Each stage keeps its own errors; these are the shared ones."""

from __future__ import annotations


class Interrupted(Exception):
    """Ctrl-C (or SIGTERM) stopped the work: exit 130 (143 for SIGTERM), nothing written.

    Raised wherever the interrupt lands, from an engine's worker thread to a
    use case, so every layer catches one type and lets it pass through.
    """
