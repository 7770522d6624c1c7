"""One read-only question when a console opens an environment: is the key accepted?

A wrong key (a typo in the keyring, a key rotated on the platform) was found only at the
first undeploy, after the paste and, in a protected environment, the typed name. Get Dock
Status of a dock status ID that does not exist answers 404 to a good key (the platform
answers 404 for another tenant's resources too) and 401/403 to a refused one: a refused
key then holds every send, and the console asks for a new key, before anything is sent.

Only the console asks (a CLI run learns it from its first request, a moment later, and
exits 3); nothing is created or changed on the platform.
"""

from __future__ import annotations

from kore_tui.core import errors
from kore_tui.core.api_client import KoreClient
from kore_tui.core.host_health import AuthHold, HostMonitor
from kore_tui.core.text import inert

# Well-formed (ds- and a UUID, version 4), all zeros: no platform job has it.
PROBE_DOCK_STATUS_ID = "ds-00000000-0000-4000-8000-000000000000"


async def probe_key(client: KoreClient, host: HostMonitor, auth: AuthHold) -> None:
    try:
        await client.dock_status(PROBE_DOCK_STATUS_ID)
    except errors.AuthError as exc:
        host.record_error(exc)
        auth.refuse_all()  # a refused read: the key itself is refused
        if host.health.auth_error is None:
            host.update(auth_error=inert(f"the platform refused the API key ({exc})", 200))
    except errors.NotFoundError:
        host.record_success()  # the answer a good key gets
    except (errors.KoreError, OSError) as exc:
        host.record_error(exc)  # the banner says what the host is doing; jobs will retry
    else:
        host.record_success()
