"""Schemathesis against a real service process, on SQLite and on PostgreSQL, with every check it
has (``--checks all``): generated requests, valid and invalid, to every operation of
/openapi.json. No answer is a 5xx, and each conforms to the document.

Three checks are told what this API means by its answers (not which answers to ignore):
- an invalid event inside a batch is rejected in the 200 answer's ``rejected`` list, by index,
  while the others are stored (each event is validated alone); such a batch counts as rejected
  when every event it holds is accounted for;
- a request whose line and headers are larger than the server reads (a generated value far past
  its ``maxLength``) is answered 431 in plain text by the server before any route, as the
  document's description says;
- a place is valid by its shape (text) and resolved against the gazetteer: a valid request for a
  place that does not exist is a 422 naming the closest known names, and a body valid by the
  schema may still be a train that cannot run (an event for a train that does not exist)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.service.server import start, stop

pytestmark = pytest.mark.integration
TOKEN = "schema-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXAMPLES = 12  # per operation and mode: the tier must stay lean


@pytest.fixture(params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, real_net, real_settings, tmp_path_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        db = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'tracking.sqlite'}"
    else:
        from silkrail.tracking.devdb import create_database

        db = create_database(request.getfixturevalue("pg_base"), "s_" + uuid.uuid4().hex[:12])
    # input handling is tested here, not capacity: a slow shared machine must not turn a costly
    # generated route into a 503 past its deadline
    env = {"SILKRAIL_READ_DEADLINE_S": "600", "SILKRAIL_READ_QUEUE": "64"}
    proc, url = start(real_settings.home, db, TOKEN, real_settings.countries_file, workers=1, env=env)
    try:
        yield url
    finally:
        stop(proc)


def _batch_accounted(case: Any, response: Any) -> bool:
    """A 200 to a batch that names each event it did not store: nothing was taken silently."""
    if response.status_code != 200 or not isinstance(case.body, dict):
        return False
    events = case.body.get("events")
    if not isinstance(events, list):
        return False
    answer = response.json()
    return bool(answer["accepted"] + answer["duplicates"] + len(answer["rejected"]) == len(events))


def _past_the_header_limit(request: Any) -> bool:
    """The request line and headers are larger than the server reads: its own 431, in plain text
    before any route (the document's description says so), is the right answer."""
    from silkrail.service.limits import MAX_HEADER_BYTES

    size = len(request.path_url) + sum(len(k) + len(v) for k, v in request.headers.items())
    return bool(size > MAX_HEADER_BYTES)


def test_schemathesis_with_every_check_finds_no_server_error(served: str) -> None:
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import CHECKS, load_all_checks
    from schemathesis.config import SchemathesisConfig

    load_all_checks()
    config = SchemathesisConfig.from_dict(
        {
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "422", "429"]},
                "negative_data_rejection": {
                    "expected-statuses": ["400", "401", "403", "404", "405", "406", "413", "422", "429"]
                },
            }
        }
    )
    schema = schemathesis.openapi.from_url(f"{served}/openapi.json", config=config)
    checks = CHECKS.get_all()
    failures: list[str] = []
    answered: dict[str, set[int]] = {}
    for op in schema.get_all_operations():
        operation = op.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case) -> None:  # type: ignore[no-untyped-def]
                headers = AUTH if case.method.upper() == "POST" else None
                response = case.call(headers=headers, timeout=120)
                name = case.operation.definition.raw.get("operationId", "?")
                answered.setdefault(name, set()).add(response.status_code)
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}"
                    )
                    return
                if response.status_code == 431 and _past_the_header_limit(response.request):
                    return  # a generated value far past its maxLength made the URL too long to read
                try:
                    case.validate_response(response, checks=checks, headers=headers)
                except (Exception, BaseExceptionGroup) as exc:  # a failed check: the document disagrees
                    if name == "post_events" and _batch_accounted(case, response):
                        return
                    failures.append(f"{case.method} {case.formatted_path}: {str(exc)[:400]}")

            try:
                check()
            except Unsatisfiable:  # no invalid request exists (an operation without parameters)
                assert mode is GenerationMode.NEGATIVE
    assert failures == []
    assert 200 in answered["post_events"]  # generated batches were stored, not refused at the door
    assert httpx.get(f"{served}/health", timeout=30).status_code == 200
