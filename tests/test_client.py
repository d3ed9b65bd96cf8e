"""The client's own failures, without a service."""

from __future__ import annotations

import sys

import pytest

from silkrail.errors import MissingExtraError


def test_the_client_without_httpx_raises_the_error_the_cli_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without httpx, ServiceClient raises silkrail.errors.MissingExtraError (the error the CLI
    turns into one line and exit 1), naming the extra that brings httpx."""
    monkeypatch.setitem(sys.modules, "httpx", None)
    from silkrail.client import ServiceClient

    with pytest.raises(MissingExtraError, match=r"pip install 'silkrail\[service\]'"):
        ServiceClient("http://127.0.0.1:9")
