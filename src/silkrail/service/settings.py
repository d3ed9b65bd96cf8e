"""``ServiceSettings``: what one service process needs, from arguments or the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from silkrail.service.auth import Token, admin_token, check_secret, load_tokens_file
from silkrail.service.limits import MAX_BODY_BYTES


@dataclass
class ServiceSettings:
    """What the service needs: a database URL, the write tokens, and where the network lives.
    ``tokens`` holds Token records (see ``service.auth``); a plain string is an admin token."""

    db_url: str
    tokens: frozenset[str] | tuple[Token, ...]
    home: Path
    network_path: Path | None = None
    ingest_processes: int = 0  # 0: batches are stored in the service's own process
    silent_check_s: float = 60.0
    relay_s: float = 0.5  # how often changes are pushed to WebSocket clients
    max_body_bytes: int = MAX_BODY_BYTES
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def grants(self) -> tuple[Token, ...]:
        """The write tokens as Token records."""
        return tuple(t if isinstance(t, Token) else admin_token(t) for t in self.tokens)

    @classmethod
    def from_env(cls, db_url: str | None = None, home: Path | None = None) -> ServiceSettings:
        from silkrail.settings import get_settings
        from silkrail.tracking.store import default_url

        s = get_settings()
        h = home or s.home
        tokens: list[Token] = []
        secret = os.environ.get("SILKRAIL_API_TOKEN", "")
        if secret:
            try:
                check_secret(secret)
            except ValueError as exc:
                raise ValueError(f"SILKRAIL_API_TOKEN: {exc}") from None
            tokens.append(admin_token(secret, "env"))
        tokens_file = os.environ.get("SILKRAIL_API_TOKENS_FILE")
        if tokens_file:
            tokens += load_tokens_file(Path(tokens_file))  # a missing file is an error, not no tokens
        raw = os.environ.get("SILKRAIL_INGEST_PROCESSES", "0")
        if not raw.isdigit():
            raise ValueError(
                f"SILKRAIL_INGEST_PROCESSES={raw!r}: give a whole number of processes, 0 or more"
            )
        return cls(db_url=db_url or default_url(h), tokens=tuple(tokens), home=h, ingest_processes=int(raw))
