"""The audit log of refused writes: who tried (the token's id, never its secret; or none), from
where, what, and why it was refused (no token, a bad token, another operator's train).

One JSON object a line on the logger ``silkrail.audit`` (the service's standard error by
default; ``SILKRAIL_AUDIT_LOG`` names a file to append to instead). A client refused many times a
second is logged ``BUDGET`` times a second, then once with the count of the refusals not logged:
a flood of bad writes cannot flood the log.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime

log = logging.getLogger("silkrail.audit")
BUDGET = 10  # lines a second per client
_CLIENTS = 10_000  # clients whose budget is tracked
_lock = threading.Lock()
_windows: OrderedDict[str, list[int]] = OrderedDict()  # client -> [second, logged, suppressed]
_configured = False


def _setup() -> None:
    """Send the audit lines to ``SILKRAIL_AUDIT_LOG`` when it is set (once per process)."""
    global _configured
    if _configured:
        return
    _configured = True
    path = os.environ.get("SILKRAIL_AUDIT_LOG", "")
    if path:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(logging.INFO)


def refused(
    *,
    status: int,
    reason: str,
    client: str,
    method: str,
    path: str,
    token_id: str | None = None,
    operator: str | None = None,
    **detail: object,
) -> None:
    """Log one refused write (within the client's budget)."""
    _setup()
    now = int(time.monotonic())
    with _lock:
        window = _windows.get(client)
        if window is None or window[0] != now:
            suppressed = window[2] if window else 0
            window = _windows[client] = [now, 0, 0]
            _windows.move_to_end(client)
            while len(_windows) > _CLIENTS:
                _windows.popitem(last=False)
            if suppressed:
                detail = {**detail, "not_logged_before": suppressed}
        if window[1] >= BUDGET:
            window[2] += 1
            return
        window[1] += 1
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "event": "write_refused",
        "status": status,
        "reason": reason,
        "token_id": token_id,
        "operator": operator,
        "client": client,
        "method": method,
        "path": path,
        **detail,
    }
    log.warning("%s", json.dumps(entry, ensure_ascii=False, default=str))
