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
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from silkrail.errors import SilkrailError
from silkrail.routing.results import OdMatrix, Route
from silkrail.service.forecast_schemas import ForecastOut, WhatIfOut
from silkrail.service.schemas import Comparison, Health, Journey, ODMatrix
from silkrail.service.schemas import Route as RouteSchema
from silkrail.tracking.model import Alert, BatchResult, TrainCreated, TrainIn, TrainState

if TYPE_CHECKING:
    import httpx

    from silkrail.routing.query import RouteOptions, RouteQuery

__all__ = ["MissingExtraError", "ServiceClient", "ServiceError", "ServiceUnreachable"]

Payload = BaseModel | Mapping[str, Any]


class MissingExtraError(ImportError, SilkrailError):
    """An optional dependency is not installed; the message names the extra that brings it."""


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


def _httpx() -> Any:
    try:
        import httpx
    except ImportError:
        raise MissingExtraError(
            "the silkrail client needs httpx: install the service extra, pip install 'silkrail[service]'"
        ) from None
    return httpx


def _json(payload: Payload) -> Any:
    if isinstance(payload, BaseModel):
        return payload.model_dump(mode="json", exclude_none=True, by_alias=True)
    return dict(payload)


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
        lib = _httpx()
        self.url = url.rstrip("/")
        self._auth = {"Authorization": f"Bearer {token}"} if token else {}
        self._own = http is None
        self._http: httpx.Client = (
            http if http is not None else lib.Client(base_url=self.url, timeout=timeout)
        )

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own:
            self._http.close()

    # -- the one way a request is sent ---------------------------------------------------

    def _call(self, method: str, path: str, *, ok: int = 200, **kwargs: Any) -> Any:
        lib = _httpx()
        if method == "POST":
            kwargs["headers"] = {**kwargs.get("headers", {}), **self._auth}
        try:
            r = self._http.request(method, path, **kwargs)
        except lib.TransportError as exc:
            raise ServiceUnreachable(f"cannot reach {self.url}: {exc}") from None
        if r.status_code != ok:
            try:
                doc = r.json()
            except ValueError:
                doc = None
            if isinstance(doc, dict) and isinstance(doc.get("error"), str):
                raise ServiceError(r.status_code, doc["error"], doc.get("fields") or (), r.text)
            raise ServiceError(r.status_code, r.text[:300] or r.reason_phrase, (), r.text)
        return r.json()

    # -- tracking ------------------------------------------------------------------------

    def health(self) -> Health:
        return Health.model_validate(self._call("GET", "/health"))

    def create_train(self, train: TrainIn | Mapping[str, Any]) -> TrainCreated:
        """A new train (``TrainIn`` fields: name, origin, destination, departure, teu, operator)."""
        return TrainCreated.model_validate(self._call("POST", "/api/v1/trains", ok=201, json=_json(train)))

    def post_events(self, events: Sequence[Payload]) -> BatchResult:
        """Store a batch of position and milestone events; bad events come back in ``rejected``."""
        body = {"events": [_json(e) for e in events]}
        return BatchResult.model_validate(self._call("POST", "/api/v1/events", json=body))

    def trains(self, status: str | None = None, *, limit: int = 1000, offset: int = 0) -> list[TrainState]:
        params: dict[str, Any] = {"limit": limit, "offset": offset} | ({"status": status} if status else {})
        return [TrainState.model_validate(t) for t in self._call("GET", "/api/v1/trains", params=params)]

    def train(self, train_id: str) -> TrainState:
        return TrainState.model_validate(self._call("GET", f"/api/v1/trains/{_segment(train_id)}"))

    def alerts(self, since: int = 0, *, limit: int = 1000, newest_first: bool = False) -> list[Alert]:
        params = {"since": since, "limit": limit, "newest_first": newest_first}
        return [Alert.model_validate(a) for a in self._call("GET", "/api/v1/alerts", params=params)]

    # -- forecast ------------------------------------------------------------------------

    def forecast(self) -> ForecastOut:
        """The service's live forecast: queues at the crossings, ETA bands, slots, alerts."""
        return ForecastOut.model_validate(self._call("GET", "/api/v1/forecast"))

    def what_if(self, change: Mapping[str, Any]) -> WhatIfOut:
        """The difference one change makes to the live forecast (a token is needed):
        ``{"close": {"crossing": "erenhot-zamyn-uud", "hours": 48}}`` and the other kinds."""
        return WhatIfOut.model_validate(self._call("POST", "/api/v1/forecast/what-if", json=dict(change)))

    # -- routing -------------------------------------------------------------------------

    def route(self, query: RouteQuery) -> Route:
        """The best route of ``query`` as silkrail's own :class:`~silkrail.routing.results.Route`
        (``to_dict``, ``to_geojson``, ``to_gdf`` ...), each leg with its track; what only the
        service's network knows (arcs, node numbers) is left empty. A departure or arrival time
        is left out here: the answer is the network model's route (see :meth:`journey`)."""
        doc = self._call("GET", "/api/v1/route", params=query_params(query))
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
        doc = self._call("GET", "/api/v1/compare", params=params)
        Comparison.model_validate(doc)
        return [Route.from_dict(o) for o in doc["options"]]

    def od(
        self,
        origins: Sequence[str],
        destinations: Sequence[str],
        options: RouteOptions | None = None,
    ) -> OdMatrix:
        """Totals for every origin-destination pair, as silkrail's own
        :class:`~silkrail.routing.results.OdMatrix` (NaN where no route)."""
        given = options if options is not None else _options()
        body: dict[str, Any] = {"origins": list(origins), "destinations": list(destinations)}
        body |= {
            "objective": given.objective,
            "mode": given.mode,
            "traffic": given.traffic,
            "teu": given.teu,
            "year": given.year,
            "avoid": list(given.avoid),
        }
        doc = self._call("POST", "/api/v1/od", json=_params(**body))
        ODMatrix.model_validate(doc)
        return OdMatrix.from_dict(doc)


ROUTE_PARAMS = {
    "origin": "origin",
    "destination": "destination",
    "mode": "mode",
    "objective": "optimize",
    "traffic": "traffic",
    "avoid": "avoid",
    "year": "year",
    "teu": "teu",
    "alternatives": "alternatives",
    "as_of": "as_of",
    "inland_water": "inland_water",
}
"""The query's fields that ``GET /route`` takes, and the parameter each is called."""
COMPARE_PARAMS = ("objective", "traffic", "teu", "year", "avoid", "as_of")


def query_params(query: RouteQuery, fields: Sequence[str] = tuple(ROUTE_PARAMS)) -> dict[str, Any]:
    """``query`` as the service's query parameters: the places by name (a resolved place by its
    'lat,lon'), ``avoid`` repeated, the rest as text; defaults left out."""
    default = _options()
    out: dict[str, Any] = {}
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


def _params(**given: Any) -> dict[str, Any]:
    """The options that are set (None: the service's default)."""
    return {k: v for k, v in given.items() if v is not None}


def _segment(text: str) -> str:
    """``text`` as one path segment (a train id may hold '/' or '?')."""
    from urllib.parse import quote

    return quote(text, safe="")
