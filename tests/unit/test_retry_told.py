"""What R says when the engine sends fewer retries than were confirmed."""

from __future__ import annotations

from kore_tui.tui.screens.retry_dialog import retry_told


class _Engine:
    def __init__(self, refused: dict[str, str]) -> None:
        self.notes: dict[str, str] = {"k1": "an older note about k1"}
        self._refused = refused

    def retry(self, keys: list[str]) -> int:
        self.notes.update(self._refused)
        return len([k for k in keys if k not in self._refused])


def test_a_refused_retry_says_why() -> None:
    """An operator's run: 'Retrying 0 job(s).' and nothing else, for a retry the engine
    refused (its resource had a live deploy in another console)."""
    why = "not re-sent: cm-1 already has a IN_PROGRESS job since 10:06:03 UTC"
    said = retry_told(_Engine({"k2": why}), ["k1", "k2"])  # type: ignore[arg-type]
    reason = "cm-1 already has a IN_PROGRESS job since 10:06:03 UTC."
    assert said == f"Retrying 1 job(s). 1 not re-sent: {reason}"
    assert retry_told(_Engine({}), ["k1"]) == "Retrying 1 job(s)."  # type: ignore[arg-type]
    many = retry_told(_Engine({"k1": why, "k2": why}), ["k1", "k2"])  # type: ignore[arg-type]
    assert many.startswith("Retrying 0 job(s). 2 not re-sent: cm-1 already has") and many.endswith(
        "(and 1 more)."
    )
