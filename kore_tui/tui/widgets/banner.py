"""The always-visible environment banner: who you are about to hurt, and how it is going."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping

from rich.text import Text
from textual.widgets import Static

from kore_tui.core.config import Environment
from kore_tui.core.store import HostHealth, JobStore
from kore_tui.core.text import inert
from kore_tui.tui.widgets.job_columns import ago

# Seconds of OK answers after the last error before the error count stops being an alarm.
RECOVERED_AFTER = 60.0

_COLOURS = {"orange": "dark_orange", "purple": "purple"}


def rich_colour(colour: str) -> str:
    """A configured colour as Rich spells it (config names are friendlier)."""
    return _COLOURS.get(colour, colour)


def elsewhere_text(elsewhere: Mapping[str, int], paused: Collection[str] = ()) -> Text:
    """Work still running in environments not on screen: switching never hides it. One
    paused there (p) says so: "⟳ 21 active in prod" let an operator think it progressed."""
    text = Text()
    if elsewhere:
        shown = ", ".join(
            f"{n} {'paused' if name in paused else 'active'} in {inert(name, 20)}"
            for name, n in elsewhere.items()
        )
        text.append(f"{'⏸' if set(elsewhere) & set(paused) else '⟳'} {shown}", style="bold magenta")
        text.append("  ")
    return text


def _is_auth(error: str | None) -> bool:
    return error is not None and any(m in error for m in ("401", "403", "nauthorized", "orbidden"))


def banner_text(
    env: Environment | None,
    store: JobStore | None,
    read_only: bool,
    now: float | None = None,
    tracking: bool | None = None,
    elsewhere: Mapping[str, int] | None = None,
    paused_elsewhere: Collection[str] = (),
    width: int = 120,
    guard: str | None = None,
) -> Text:
    """One line, most urgent first: what is cut at a narrow width is the least urgent.
    ``width``: the line's; the last error gets what a wide terminal has beyond 120.

    ``tracking``: whether any job is being followed; only then is a long silence from
    the host a warning (idle, "last OK 75s ago" is just the truth). None: jobs in flight.
    ``elsewhere``: unfinished jobs per other open environment (they keep running there).
    ``guard``: a protected environment whose platform this one is under another name
    (Config.protected_platform): actions here are asked as there, and the banner says so.
    """
    now = time.time() if now is None else now
    text = Text(no_wrap=True, overflow="ellipsis")
    if env is None:
        text.append(" no environment ", style="bold reverse")
        text.append("  press F2 to pick or add one  ")
        text.append_text(elsewhere_text(elsewhere or {}, paused_elsewhere))
        return text
    colour = rich_colour(env.colour)
    text.append(f" ● {inert(env.name, 40)} ", style=f"bold white on {colour}")
    text.append(" ")
    health = store.health if store is not None else None
    if health is not None:
        if health.journal_error:
            text.append(" JOURNAL ERROR ", style="bold white on red")
            text.append(" ")
        if health.user_paused:
            text.append(" ⏸ PAUSED ", style="bold black on yellow")
            text.append(" ")
        if health.paused_until_wall and health.paused_until_wall > now:
            text.append(
                f" rate limited: waiting {health.paused_until_wall - now:.0f}s ",
                style="bold black on yellow",
            )
            text.append(" ")
        if health.auth_error:  # the engine holds every POST until a new key is given
            text.append(" KEY REFUSED: sending paused ", style="bold white on red")
            text.append(" ")
        elif _is_auth(health.last_error) and not _answered_since(health):
            text.append(" AUTH FAILED ", style="bold white on red")
            text.append(" ")
    if env.protected or guard is not None:
        badge = f" PROTECTED: {inert(guard, 20)}'s platform " if guard else " PROTECTED "
        text.append(badge, style="bold white on red")
        text.append(" ")
    if read_only or env.read_only:
        text.append(" READ-ONLY ", style="bold black on yellow")
        text.append(" ")
    if env.ephemeral:
        text.append(" DEMO " if env.name == "demo" else " AD-HOC ", style="bold black on cyan")
        text.append(" ")
    # Work still running in another environment is what an operator must not lose sight
    # of: before the host and the counters, which a narrow terminal cuts first.
    text.append_text(elsewhere_text(elsewhere or {}, paused_elsewhere))
    # Which platform this is comes before how it is doing: at 80 columns the host was cut
    # away behind "errors 2 (last: HTTP 401 …) · last OK …" (an operator's run, on prod).
    if store is None or health is None:
        text.append(inert(env.host, 60), style="bold")
        text.append("  ")
        text.append("connecting…", style="dim")
        return text
    if tracking is None:
        tracking = store.in_flight > 0
    counters = _counters(health, store, now, tracking)
    # ... but on a narrow line the host gives way (its scheme, then its end) before the
    # error count and "last OK" do: at 60 columns it left "…:18801  las…".
    tail = len(f"errors {health.errors} · ") if health.errors else 0
    room = width - len(text) - 2 - tail - len(counters.plain.split(" · ")[0])
    text.append(_host_for(env.host, room, whole=width >= 80), style="bold")
    text.append("  ")
    if health.errors:
        recovered = _recovered(health, now)
        # The count is since the console opened: bold red an hour after a blip read as
        # "the host is failing now" (an operator's run, at 3 a.m.).
        count = f"errors {health.errors}"
        when = f" {ago(now - (health.last_error_wall or now))} ago" if recovered else ""
        # 28 at 120, more where there is room; and never more than the line has left once
        # the counters have theirs (at 100 the in-flight count was pushed off the line).
        left = width - len(text) - len(f"{count} (last{when}: ) · ") - len(counters)
        room = min(28 + max(0, width - 120), left)
        last = inert(health.last_error or "", room) if room >= 8 else ""
        detail = f" (last{when}: {last})" if last else ""
        text.append(count, style="dim" if recovered else "bold red")
        text.append(detail, style="dim" if recovered else "red")
        text.append(" · ")
    if len(text) + len(counters) > width:
        # The in-flight count whole or not at all: at 60 columns it read "in fligh…" (the
        # summary line counts what is in flight too).
        counters = counters[: len(counters.plain.split(" · ")[0])]
    return text.append_text(counters)


def _host_for(host: str, room: int, whole: bool) -> str:
    """The host in ``room`` cells if it can: with its scheme, else without it; below 80
    columns (not ``whole``) cut in the middle, its start and its end kept, never under 16
    cells (the environment's name, always shown first, says which one it is). A host of
    more than 60 cells is cut in the middle too: its end (the port) is what tells two apart.
    A host that fits in 16 cells is never cut: '127.0.0.…1:18777' repeated its middle."""
    limit = 60
    shown = inert(host, 200)
    bare = shown.split("://", 1)[-1]
    if len(shown) <= min(room, limit):
        return shown
    if len(bare) <= limit and (len(bare) <= room or whole):
        return bare
    width = limit if whole else max(16, min(room, limit))
    if len(bare) <= width:
        return bare
    keep = width - 1
    head = (keep + 1) // 2
    return f"{bare[:head]}…{bare[len(bare) - (keep - head) :]}"


def _counters(health: HostHealth, store: JobStore, now: float, tracking: bool) -> Text:
    """ "last OK 3s ago · in flight 12": the end of the banner's line."""
    text = Text()
    if health.last_success_wall is None:
        # After an error the host has answered, just not with an OK.
        silence = "no OK answer yet" if health.errors else "no answer yet"
        text.append(silence, style="yellow" if tracking else "dim")
    else:
        age = max(0.0, now - health.last_success_wall)
        late = tracking and age >= 30
        text.append(
            f"last OK {age:.0f}s ago",
            style="bold yellow" if late else "green" if tracking else "dim",
        )
    text.append(f" · in flight {store.in_flight}", style="dim")
    return text


class EnvBanner(Static):
    DEFAULT_CSS = """
    EnvBanner { height: 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    _shown: Text | None = None

    def show(
        self,
        env: Environment | None,
        store: JobStore | None,
        read_only: bool,
        now: float | None = None,
        tracking: bool | None = None,
        elsewhere: Mapping[str, int] | None = None,
        paused_elsewhere: Collection[str] = (),
        guard: str | None = None,
    ) -> None:
        width = self.size.width or 120
        text = banner_text(
            env,
            store,
            read_only,
            now,
            tracking,
            elsewhere,
            paused_elsewhere,
            width=width,
            guard=guard,
        )
        if text == self._shown:
            return  # the once-a-second refresh with nothing new: no repaint
        self._shown = text
        # One line of a fixed box (height 1, the screen's width): new text never changes
        # the layout, so repaint this line instead of re-laying out the whole screen.
        self.update(text, layout=False)


def _recovered(health: HostHealth, now: float) -> bool:
    """The host has answered OK since its last error, which is a minute old or more."""
    error = health.last_error_wall
    return _answered_since(health) and error is not None and now - error >= RECOVERED_AFTER


def _answered_since(health: HostHealth) -> bool:
    """A request succeeded after the last error: a 401 before a new key is history, not
    the state of the key (AUTH FAILED stayed on after the new key worked)."""
    error, success = health.last_error_wall, health.last_success_wall
    return error is not None and success is not None and success > error
