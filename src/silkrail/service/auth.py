"""Write tokens: who may write which trains, and the id that the audit trail records.

A token belongs to an operator and may write only that operator's trains; the operator ``*``
(admin) writes every train. The tokens file holds one token a line::

    # comments and blank lines are ignored
    # <token id>  <operator or *>  <secret of at least 32 characters>
    fesco-ops-1   fesco            3f9c0a...   (any printable characters but spaces)
    admin-1       *                b71e42...

The token id is what the database records with every accepted write (never the secret); ids are
unique. ``SILKRAIL_API_TOKEN``, when set, is one more admin token with the id ``env``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from silkrail.errors import DataError

MIN_SECRET = 32
ADMIN = "*"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SECRET = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII without spaces: what a header carries


@dataclass(frozen=True)
class Token:
    """One write token: its id (recorded with each write), operator and secret."""

    id: str
    operator: str
    secret: str = ""

    @property
    def admin(self) -> bool:
        return self.operator == ADMIN

    def may_write(self, operator: str | None) -> bool:
        """Whether this token may write a train of ``operator`` (``None``: a train from before
        operators were recorded, which only an admin may write)."""
        return self.admin or (operator is not None and operator == self.operator)


def check_secret(secret: str) -> None:
    """Refuse a short secret, or one a header cannot carry."""
    if len(secret) < MIN_SECRET:
        raise ValueError(f"the secret has {len(secret)} characters; give at least {MIN_SECRET}")
    if not _SECRET.match(secret):
        raise ValueError("the secret may hold printable ASCII characters only, no spaces")


def admin_token(secret: str, token_id: str | None = None) -> Token:
    """An admin token; without an id, one derived from the secret's hash (the secret stays out of
    every record)."""
    return Token(token_id or "admin-" + hashlib.sha256(secret.encode()).hexdigest()[:8], ADMIN, secret)


def load_tokens_file(path: Path) -> list[Token]:
    """The tokens in ``path`` (format in the module docstring); a bad line is a DataError naming
    the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the tokens file ({exc})", file=str(path)) from None
    out: list[Token] = []
    seen: set[str] = set()
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue

        def bad(msg: str, n: int = n) -> DataError:
            return DataError(msg, file=str(path), line=n)

        parts = line.split()
        if len(parts) != 3:
            raise bad(
                f"give '<token id> <operator or *> <secret>' separated by spaces "
                f"(found {len(parts)} field{'s' if len(parts) != 1 else ''})"
            )
        tid, operator, secret = parts
        if not _ID.match(tid):
            raise bad(f"token id '{tid[:64]}': use letters, digits, '.', '_', '-' (64 at most)")
        if operator != ADMIN and not _ID.match(operator):
            raise bad(f"operator '{operator[:64]}': use letters, digits, '.', '_', '-' or '*'")
        if tid in seen:
            raise bad(f"the token id '{tid}' is given twice; ids must be unique")
        try:
            check_secret(secret)
        except ValueError as exc:
            raise bad(str(exc)) from None
        seen.add(tid)
        out.append(Token(tid, operator, secret))
    return out


def find_token(given: bytes, tokens: Iterable[Token]) -> Token | None:
    """The token whose secret is ``given``, comparing with every token in constant time."""
    found = None
    for token in tokens:
        if hmac.compare_digest(given, token.secret.encode()):
            found = token
    return found


class AuthError(Exception):
    """Why a write was refused: an HTTP status and one sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def authenticate(headers: list[tuple[bytes, bytes]], tokens: Iterable[Token]) -> Token:
    """The token of a request from its raw headers; the scheme is case-insensitive (RFC 9110),
    and two Authorization headers are a 400 (which one was meant is not ours to guess)."""
    values = [v for k, v in headers if k == b"authorization"]
    if len(values) > 1:
        raise AuthError(400, "give one Authorization header, not several")
    if not values:
        raise AuthError(401, "writes need 'Authorization: Bearer <token>'")
    scheme, _, rest = values[0].strip().partition(b" ")
    if scheme.lower() != b"bearer" or not rest.strip():
        raise AuthError(401, "writes need 'Authorization: Bearer <token>'")
    token = find_token(rest.strip(), tokens)
    if token is None:
        raise AuthError(401, "the bearer token is not valid")
    return token
