"""Who holds a lease, and whether that holder is still alive.

Sources being checked and alerts being delivered are leased to a process (``host:pid``) in the
database, so that several daemons sharing a store never do the same work twice. A lease left by
a process that died on this host (SIGKILL, OOM) is freed at once; other hosts' leases expire on
their own.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable


def owner_id() -> str:
    """This process, as lease holder: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def is_dead_local_owner(owner: str) -> bool:
    """True when ``owner`` is another process on this host that no longer runs."""
    name, _, pid = owner.rpartition(":")
    return (
        name == socket.gethostname()
        and pid.isdigit()
        and int(pid) != os.getpid()
        and not _pid_alive(int(pid))
    )


def release_dead(owners: Iterable[str], release: Callable[[str], None]) -> list[str]:
    """Call ``release(owner)`` for every owner that is a dead process on this host."""
    freed = [owner for owner in owners if is_dead_local_owner(owner)]
    for owner in freed:
        release(owner)
    return freed
