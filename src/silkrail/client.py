"""A typed Python client of the silkrail service: tracking writes and reads, and routing.

    from silkrail import RouteQuery
    from silkrail.client import ServiceClient

    with ServiceClient("http://127.0.0.1:8000", token="...") as api:
        created = api.create_train({"name": "X8024", "origin": "Hanoi", "destination": "Moscow",
                                    "departure": "2026-03-01T08:00:00+07:00", "teu": 80})
        api.post_events([{"event_id": "e1", "train_id": created.id, "time": "...",
                          "kind": "position", "lat": 21.3, "lon": 106.1}])
        best = api.route(RouteQuery("Hanoi", "Moscow", mode="rail"))

Every method returns a typed record: silkrail's own ``Route`` and ``OdMatrix`` for routing (the
answers checked against the service's declarations in ``service.schemas``), the tracking
payloads of ``tracking.model``; an error answer raises ServiceError with the service's one sentence, and a
service that cannot be reached raises ServiceUnreachable. The client needs httpx, which comes
with the ``service`` extra (``pip install 'silkrail[service]'``); it is imported on first use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel

from silkrail.errors import MissingExtraError, SilkrailError
from silkrail.routing.results import OdMatrix, Route
from silkrail.service.forecast_schemas import ForecastOut, WhatIfOut
from silkrail.service.schemas import Comparison, Health, Journey, ODMatrix
from silkrail.service.schemas import Route as RouteSchema
from silkrail.tracking.model import Alert, BatchResult, TrainCreated, TrainIn, TrainState

if TYPE_CHECKING:
    import httpx

    from silkrail.routing.query import RouteOptions, RouteQuery

__all__ = ["MissingExtraError", "ServiceClient", "ServiceError", "ServiceUnreachable"]

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
"""A JSON document as ``json.loads`` reads it."""
Payload = BaseModel | Mapping[str, JsonValue]
"""A request body: a record of the API, or its JSON object."""
Param = str | int | float | bool | list[str]
"""A query parameter's value (a list: the parameter repeated)."""


class ServiceUnreachable(ConnectionError, SilkrailError):
    """The service did not answer: not running, a wrong URL, or a network failure."""


class ServiceError(SilkrailError):
    """The service answered with an error: its status, its one sentence and the invalid fields."""

    def __init__(
        self, status: int, error: str, fields: Sequence[Mapping[str, str]] = (), text: str = ""
    ) -> None:
        super().__init__(f"the service answered {status}: {error}")
        self.status = status
        self.error = error
        self.fields = list(fields)
        self.text = text  # the body as it came


def _require_httpx() -> None:
    """Import httpx, or say which extra brings it."""
    try:
        import httpx  # noqa: F401
    except ImportError:
        raise MissingExtraError(
            "the silkrail client needs httpx: install the service extra, pip install 'silkrail[service]'"
        ) from None


def _json(payload: Payload) -> dict[str, JsonValue]:
    if isinstance(payload, BaseModel):
        doc: dict[str, JsonValue] = payload.model_dump(mode="json", exclude_none=True, by_alias=True)
        return doc
    return dict(payload)


def _object(doc: JsonValue) -> dict[str, JsonValue]:
    """An answer that must be a JSON object (its declared record checks the rest)."""
    if not isinstance(doc, dict):
        raise ServiceError(200, f"the service answered {type(doc).__name__} where an object was expected")
    return doc


def _objects(doc: JsonValue) -> list[dict[str, JsonValue]]:
    """An answer that must be a list of JSON objects."""
    if not isinstance(doc, list):
        raise ServiceError(200, f"the service answered {type(doc).__name__} where a list was expected")
    return [_object(x) for x in doc]


def _fields(given: JsonValue) -> list[dict[str, str]]:
    """The invalid fields of an error answer (each its ``field`` and ``message``)."""
    if not isinstance(given, list):
        return []
    return [{k: str(v) for k, v in f.items()} for f in given if isinstance(f, dict)]


class ServiceClient:
    """The service at ``url``; ``token`` for writes (every POST). ``http``: an httpx.Client to
    send through instead of a new one (a test's ``TestClient``, a configured proxy)."""

    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        *,
        token: str | None = None,
        timeout: float = 60.0,
        http: httpx.Client | None = None,
    ) -> None:
        _require_httpx()
        import httpx

        self.url = url.rstrip("/")
        self._auth = {"Authorization": f"Bearer {token}"} if token else {}
        self._own = http is None
        self._http: httpx.Client = (
            http if http is not None else httpx.Client(base_url=self.url, timeout=timeout)
        )

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own:
            self._http.close()

    # -- the one way a request is sent ---------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        ok: int = 200,
        params: Mapping[str, Param] | None = None,
        json: JsonValue = None,
    ) -> JsonValue:
        """The answer's JSON; an error answer raises ServiceError, no answer ServiceUnreachable.
        A POST carries the token."""
        import httpx

        headers = self._auth if method == "POST" else None
        try:
            r = self._http.request(method, path, params=params, json=json, headers=headers)
        except httpx.TransportError as exc:
            raise ServiceUnreachable(f"cannot reach {self.url}: {exc}") from None
        if r.status_code != ok:
            doc: JsonValue
            try:
                doc = r.json()
            except ValueError:
                doc = None
            if isinstance(doc, dict) and isinstance(error := doc.get("error"), str):
                raise ServiceError(r.status_code, error, _fields(doc.get("fields")), r.text)
            raise ServiceError(r.status_code, r.text[:300] or r.reason_phrase, (), r.text)
        answer: JsonValue = r.json()
        return answer

    # -- tracking ------------------------------------------------------------------------

    def health(self) -> Health:
        return Health.model_validate(self._call("GET", "/health"))

    def create_train(self, train: TrainIn | Mapping[str, JsonValue]) -> TrainCreated:
        """A new train (``TrainIn`` fields: name, origin, destination, departure, teu, operator)."""
        return TrainCreated.model_validate(self._call("POST", "/api/v1/trains", ok=201, json=_json(train)))

    def post_events(self, events: Sequence[Payload]) -> BatchResult:
        """Store a batch of position and milestone events; bad events come back in ``rejected``."""
        body: dict[str, JsonValue] = {"events": [_json(e) for e in events]}
        return BatchResult.model_validate(self._call("POST", "/api/v1/events", json=body))

    def trains(self, status: str | None = None, *, limit: int = 1000, offset: int = 0) -> list[TrainState]:
        chosen: dict[str, Param] = {"status": status} if status else {}
        params: dict[str, Param] = {"limit": limit, "offset": offset, **chosen}
        answer = self._call("GET", "/api/v1/trains", params=params)
        return [TrainState.model_validate(t) for t in _objects(answer)]

    def train(self, train_id: str) -> TrainState:
        return TrainState.model_validate(self._call("GET", f"/api/v1/trains/{_segment(train_id)}"))

    def alerts(self, since: int = 0, *, limit: int = 1000, newest_first: bool = False) -> list[Alert]:
        params: dict[str, Param] = {"since": since, "limit": limit, "newest_first": newest_first}
        answer = self._call("GET", "/api/v1/alerts", params=params)
        return [Alert.model_validate(a) for a in _objects(answer)]

    # -- forecast ------------------------------------------------------------------------

    def forecast(self) -> ForecastOut:
        """The service's live forecast: queues at the crossings, ETA bands, slots, alerts."""
        return ForecastOut.model_validate(self._call("GET", "/api/v1/forecast"))

    def what_if(self, change: Mapping[str, JsonValue]) -> WhatIfOut:
        """The difference one change makes to the live forecast (a token is needed):
        ``{"close": {"crossing": "erenhot-zamyn-uud", "hours": 48}}`` and the other kinds."""
        return WhatIfOut.model_validate(self._call("POST", "/api/v1/forecast/what-if", json=dict(change)))

    # -- routing -------------------------------------------------------------------------

    def route(self, query: RouteQuery) -> Route:
        """The best route of ``query`` as silkrail's own :class:`~silkrail.routing.results.Route`
        (``to_dict``, ``to_geojson``, ``to_gdf`` ...), each leg with its track; what only the
        service's network knows (arcs, node numbers) is left empty. A departure or arrival time
        is left out here: the answer is the network model's route (see :meth:`journey`)."""
        doc = _object(self._call("GET", "/api/v1/route", params=query_params(query)))
        RouteSchema.model_validate(doc)  # the shape the service declares, checked once
        return Route.from_dict(doc)

    def journey(self, query: RouteQuery) -> Journey:
        """The journey in time of a query with a departure or arrival time (``route --depart``):
        the service's ``Journey`` (its legs' departures, arrivals, services and trips)."""
        if not query.scheduled:
            from silkrail.errors import DataError

            raise DataError("a journey needs a departure or an arrival time", field="depart")
        params = query_params(query, (*ROUTE_PARAMS, "depart", "arrive"))
        return Journey.model_validate(self._call("GET", "/api/v1/route", params=params))

    def compare(self, query: RouteQuery) -> list[Route]:
        """The best rail, sea and rail+sea options, each with its ``label``."""
        params = query_params(query, COMPARE_PARAMS)
        doc = _object(self._call("GET", "/api/v1/compare", params=params))
        Comparison.model_validate(doc)
        return [Route.from_dict(o) for o in _objects(doc["options"])]

    def od(
        self,
        origins: Sequence[str],
        destinations: Sequence[str],
        options: RouteOptions | None = None,
    ) -> OdMatrix:
        """Totals for every origin-destination pair, as silkrail's own
        :class:`~silkrail.routing.results.OdMatrix` (NaN where no route)."""
        given = options if options is not None else _options()
        body: dict[str, JsonValue] = {
            "origins": list(origins),
            "destinations": list(destinations),
            "objective": given.objective,
            "mode": given.mode,
            "traffic": given.traffic,
            "train": given.train,
            "teu": given.teu,
            "year": given.year,
            "avoid": list(given.avoid),
        }
        set_: dict[str, JsonValue] = {k: v for k, v in body.items() if v is not None}  # None: its default
        doc = _object(self._call("POST", "/api/v1/od", json=set_))
        ODMatrix.model_validate(doc)
        return OdMatrix.from_dict(doc)


ROUTE_PARAMS = {
    "origin": "origin",
    "destination": "destination",
    "mode": "mode",
    "objective": "optimize",
    "traffic": "traffic",
    "train": "train",
    "avoid": "avoid",
    "year": "year",
    "teu": "teu",
    "alternatives": "alternatives",
    "as_of": "as_of",
    "inland_water": "inland_water",
}
"""The query's fields that ``GET /route`` takes, and the parameter each is called."""
COMPARE_PARAMS = ("objective", "traffic", "train", "teu", "year", "avoid", "as_of")


def query_params(query: RouteQuery, fields: Sequence[str] = tuple(ROUTE_PARAMS)) -> dict[str, Param]:
    """``query`` as the service's query parameters: the places by name (a resolved place by its
    'lat,lon'), ``avoid`` repeated, the rest as text; defaults left out."""
    default = _options()
    out: dict[str, Param] = {}
    for name in ("origin", "destination"):
        end = getattr(query, name)
        out[name] = end if isinstance(end, str) else f"{end.lat},{end.lon}"
    for name in fields:
        value = getattr(query, name)
        if name in ("origin", "destination") or value == getattr(default, name):
            continue
        if name == "avoid":
            value = list(value)
        elif name in ("as_of", "depart", "arrive"):
            value = value.isoformat()
        out[ROUTE_PARAMS.get(name, name)] = value
    return out


def _options() -> RouteOptions:
    from silkrail.routing.query import RouteOptions

    return RouteOptions()


def _segment(text: str) -> str:
    """``text`` as one path segment (a train id may hold '/' or '?')."""
    from urllib.parse import quote

    return quote(text, safe="")
