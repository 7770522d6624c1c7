from kore_tui.tui.env_lifecycle import resumed_told


def test_followed_jobs_are_not_called_resumed() -> None:
    """An operator's run: a second console said 'Resumed 12 unfinished job(s)' of jobs the
    first one was tracking; it follows them, it has not taken them."""
    assert (
        resumed_told(12, 12)
        == "Following 12 job(s) another process is tracking; nothing was re-sent."
    )
    assert (
        resumed_told(3, 0) == "Resumed 3 unfinished job(s) from the journal; nothing was re-sent."
    )
    assert resumed_told(5, 2) == (
        "Following 2 job(s) another process is tracking; resumed 3 unfinished job(s) "
        "from the journal; nothing was re-sent."
    )
