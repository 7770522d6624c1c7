"""A faithful fake Kore.ai Agent Platform on loopback (demo mode, tests, benchmarks)."""

from kore_tui.simulator.faults import FaultProfile, profile_named
from kore_tui.simulator.server import SimConfig, Simulator, SimulatorThread

__all__ = ["FaultProfile", "SimConfig", "Simulator", "SimulatorThread", "profile_named"]
