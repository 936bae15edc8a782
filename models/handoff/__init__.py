"""Handing work to the orchestrator: the flows jikoflow asked for and whether one has started."""
