"""kore-tui: an operator console for the Kore.ai Agent Platform's undeploy and dock-status APIs."""

__version__ = "0.1.0"
