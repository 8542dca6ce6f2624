"""OGC API – Features, Part 1 Core, at ``/ogc``: landing page, conformance, API definition,
collections, items and single features, in JSON (GeoJSON for features) and HTML.

Reading needs no account. The caller is the bearer token's holder, else the browser session's
user, else nobody (``registry.api.auth.request_reader``); facilities are read through
``facilities.read`` for that reader, so confidential locations are generalised for whoever may
not see them and an anonymous caller gets the public attributes only.

The views only parse the request, call ``ogc_collections`` and write the answer: links, the
format (``f=json|html``, else the Accept header) and errors as the standard's exception
document (``{"code": ..., "description": ...}``), or the error page in HTML. Every query
parameter the API definition does not list is refused with 400, as the standard requires.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any, cast

import orjson
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from sqlalchemy.orm import Session
from werkzeug.exceptions import BadRequest, HTTPException, NotFound

from registry import clock, freshness
from registry.api.auth import request_reader
from registry.api.ogc_collections import (
    COLLECTIONS,
    CRS84,
    Collection,
    Query,
    extent,
    item,
    items,
    properties_for,
)
from registry.api.ogc_openapi import DEFAULT_LIMIT, MAX_LIMIT, OPENAPI_MEDIA_TYPE, document
from registry.extensions import cache, db
from registry.facilities import read
from registry.geography.models import Edition, Level
from registry.http import INT_MAX, parse_float, parse_int
from registry.i18n import _, _l
from registry.labels import label, load_names

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
)
JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
# Parameters every resource takes: the format and the language of titles and pages.
COMMON_PARAMETERS = frozenset({"f", "lang"})
ITEMS_PARAMETERS = frozenset({"limit", "offset", "bbox", "datetime"})
VALUE_MAX_LEN = 50


# --- errors ------------------------------------------------------------------------------------


class InvalidParameter(BadRequest):
    """A query parameter the API does not know, or a value it cannot take."""

    ogc_code = "InvalidParameterValue"


@bp.errorhandler(HTTPException)
def _error(exc: HTTPException):
    """The standard's exception document in JSON (or the error page when HTML was asked
    for), keeping the exception's own headers (``WWW-Authenticate`` on a bad token)."""
    code = exc.code or 500
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    if _wants_html():
        template = f"errors/{code}.html" if code in (400, 403, 404) else "errors/generic.html"
        response = Response(render_template(template, error=exc), code, mimetype=HTML)
    else:
        ogc_code = getattr(exc, "ogc_code", None) or exc.name.replace(" ", "")
        body = {"code": ogc_code, "description": exc.description or exc.name}
        response = Response(_dumps(body), code, mimetype=JSON)
    for key, value in headers:
        response.headers[key] = value
    return _vary(response)


def _session() -> Session:
    # The request's scoped session, handed to code typed for a plain Session.
    return cast("Session", db.session)


def _invalid(message: str) -> InvalidParameter:
    return InvalidParameter(description=message)


# --- formats and links -------------------------------------------------------------------------


def _wants_html() -> bool:
    """``f=html`` or ``f=json`` decide; without ``f``, HTML only when the client prefers it
    to JSON (a browser), JSON for everyone else."""
    fmt = request.args.get("f")
    if fmt in ("json", "html"):
        return fmt == "html"
    best = request.accept_mimetypes.best_match([JSON, GEOJSON, HTML], default=JSON)
    return best == HTML and request.accept_mimetypes[HTML] > request.accept_mimetypes[JSON]


def _format(allowed: Iterable[str] = ()) -> str:
    """``json`` or ``html`` for this request, after refusing unknown parameters."""
    known = COMMON_PARAMETERS | frozenset(allowed)
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise _invalid(
            _(
                "Unknown query parameter: %(names)s. This resource takes: %(known)s.",
                names=", ".join(unknown),
                known=", ".join(sorted(known)),
            )
        )
    fmt = request.args.get("f")
    if fmt is not None and fmt not in ("json", "html"):
        raise _invalid(_("The format f must be json or html."))
    return "html" if _wants_html() else "json"


def _dumps(value: Any) -> bytes:
    # orjson: compact UTF-8, as json.dumps(ensure_ascii=False) wrote it, several times faster
    # on pages of thousands of features.
    return orjson.dumps(value)


def _vary(response: Response) -> Response:
    # The answer depends on the format asked for and on who asks.
    response.vary.update(("Accept", "Authorization", "Cookie"))
    return response


def _json(body: Any, media_type: str = JSON) -> Response:
    return _vary(Response(_dumps(body), mimetype=media_type))


def _kept(reader: read.Reader, build: Callable[[], Response]) -> Response:
    """A JSON answer built once and served again, until the registry's generation changes,
    to every request of the same address, language and reader scope (jurisdiction, exact
    points or not, anonymous or not): the answer depends on nothing else. HTML pages carry
    the user's name and a form token, so they are built for each request. The answer's ETag
    lets a client ask again with If-None-Match and get 304 Not Modified."""
    generation = freshness.current(_session())
    if generation is None:  # this session's own changes are not committed yet
        return build()
    scope = (reader.province_code, reader.may_see_exact, reader is read.ANONYMOUS)
    identity = repr((generation, scope, request.url, str(get_locale()), clock.today().isoformat()))
    key = "ogc:" + hashlib.sha256(identity.encode()).hexdigest()
    kept = cache.get(key)
    if kept is not None:
        body, mimetype = kept
        response = _vary(Response(body, mimetype=mimetype))
    else:
        response = build()
        body = response.get_data()
        if response.status_code == 200 and len(body) <= current_app.config.get(
            "CACHE_MAX_ANSWER_BYTES", 0
        ):
            cache.set(key, (body, response.mimetype))
    response.set_etag(key[4:36])
    response.make_conditional(request)
    return response


def _html(template: str, **context: Any) -> Response:
    page = render_template(f"ogc/{template}", **_page_helpers(), **context)
    return _vary(Response(page, mimetype=HTML))


def _url(endpoint: str, fmt: str | None, **values: Any) -> str:
    args = {k: v for k, v in values.items() if v is not None}
    if fmt is not None:
        args["f"] = fmt
    if request.args.get("lang"):
        args.setdefault("lang", request.args["lang"])
    return url_for(endpoint, _external=True, **args)


def _self_links(endpoint: str, json_type: str, title: str, **values: Any) -> list[dict[str, str]]:
    """``self`` in the format answered and ``alternate`` in the other, for the JSON body and
    the HTML page alike."""
    json_link = {"href": _url(endpoint, "json", **values), "type": json_type}
    html_link = {"href": _url(endpoint, "html", **values), "type": HTML}
    fmt = "html" if _wants_html() else "json"
    own, other = (html_link, json_link) if fmt == "html" else (json_link, html_link)
    return [
        {**own, "rel": "self", "title": title},
        {**other, "rel": "alternate", "title": title},
    ]


def _collection(collection_id: str) -> Collection:
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        raise NotFound(_("There is no collection %(id)s.", id=collection_id[:80]))
    return collection


# --- words for the HTML pages ------------------------------------------------------------------

_REL_LABELS = {
    "self": _l("this page"),
    "alternate": _l("the same in another format"),
    "service-desc": _l("API definition"),
    "service-doc": _l("API documentation"),
    "conformance": _l("conformance classes"),
    "data": _l("collections"),
    "items": _l("features"),
    "collection": _l("collection"),
    "next": _l("next page"),
    "prev": _l("previous page"),
}
_MEDIA_LABELS = {
    JSON: "JSON",
    GEOJSON: "GeoJSON",
    HTML: "HTML",
    OPENAPI_MEDIA_TYPE: "OpenAPI 3.0",
}
_CONFORMANCE_LABELS = {
    CONFORMANCE[0]: _l("Core"),
    CONFORMANCE[1]: _l("API definition in OpenAPI 3.0"),
    CONFORMANCE[2]: _l("Features in GeoJSON"),
    CONFORMANCE[3]: _l("Pages in HTML"),
}
# Facility properties the field labels of the audit log do not name.
_FACILITY_LABELS = {
    "category": _l("Category"),
    "generalised": _l("Location generalised"),
    "over_capacity": _l("Over capacity"),
    "updated_at": _l("Last updated"),
}
_UNIT_LABELS = {
    "code": _l("Code"),
    "name": _l("Name"),
    "full_name": _l("Official name"),
    "name_en": _l("Name in English"),
    "division_type": _l("Kind of unit"),
    "edition": _l("Organisation"),
    "level": _l("Level"),
    "province_code": _l("Province"),
    "parent_code": _l("Code of the unit above"),
    "valid_from": _l("In force from"),
    "valid_to": _l("In force until"),
    "population": _l("Population"),
    "population_year": _l("Population year"),
    "area_km2": _l("Area (km²)"),
}
_EDITION_LABELS = {
    Edition.CURRENT.value: _l("Since 1 July 2025"),
    Edition.PRE2025.value: _l("Before 1 July 2025"),
}
_LEVEL_LABELS = {
    Level.PROVINCE.value: _l("Province"),
    Level.DISTRICT.value: _l("District"),
    Level.COMMUNE.value: _l("Commune"),
}
# Shown through another property (the type's name through its code) or as the page title.
_HIDDEN_PROPERTIES = frozenset({"type_name_vi", "type_name_en"})


def _page_helpers() -> dict[str, Any]:
    """What the OGC pages need to write words, never codes, for every value."""
    names = load_names()

    def link_kind(link: dict[str, str]) -> str:
        rel = str(_REL_LABELS.get(link.get("rel", ""), link.get("rel", "")))
        media = _MEDIA_LABELS.get(link.get("type", ""), "")
        return f"{media} · {rel}" if media else rel

    def unit_province(properties: dict[str, Any]) -> str:
        code = properties.get("province_code")
        if properties.get("edition") == Edition.CURRENT.value:
            return names.province(code)
        return names.old_province(code)

    def property_label(collection: Collection, key: str) -> str:
        own = _FACILITY_LABELS if collection.is_facilities else _UNIT_LABELS
        return str(own[key]) if key in own else label("field", key)

    def property_value(collection: Collection, key: str, value: Any) -> str:
        if value in ((), [], {}):
            return "—"
        if not collection.is_facilities:
            if value is None:
                return "—"
            if key == "edition":
                return str(_EDITION_LABELS.get(value, value))
            if key == "level":
                return str(_LEVEL_LABELS.get(value, value))
            if key == "province_code":
                return unit_province({"edition": collection.unit_kind[0].value, **{key: value}})
            if key in ("code", "parent_code", "population_year"):
                return str(value)
        return names.value(key, value)

    def parameter_name(parameter: dict[str, Any]) -> str:
        return str(parameter.get("name") or parameter.get("$ref", "").rsplit("/", 1)[-1])

    return {
        "names": names,
        "link_kind": link_kind,
        "unit_province": unit_province,
        "property_label": property_label,
        "property_value": property_value,
        "parameter_name": parameter_name,
        "conformance_label": lambda uri: str(_CONFORMANCE_LABELS.get(uri, uri)),
        "hidden_properties": _HIDDEN_PROPERTIES,
    }


# --- landing page, conformance, API definition -------------------------------------------------


@bp.get("", strict_slashes=False)
@bp.get("/")
def landing():
    fmt = _format()
    title = _("Social assistance facility registry")
    body = {
        "title": title,
        "description": _(
            "OGC API – Features of the social assistance facility registry: the facilities and "
            "the administrative units before and since 1 July 2025."
        ),
        "links": [
            *_self_links("ogc.landing", JSON, _("This document")),
            {
                "href": _url("ogc.api", "json"),
                "rel": "service-desc",
                "type": OPENAPI_MEDIA_TYPE,
                "title": _("The API definition"),
            },
            {
                "href": _url("ogc.api", "html"),
                "rel": "service-doc",
                "type": HTML,
                "title": _("The API documentation"),
            },
            {
                "href": _url("ogc.conformance", "json"),
                "rel": "conformance",
                "type": JSON,
                "title": _("Conformance classes implemented by this API"),
            },
            {
                "href": _url("ogc.collections", "json"),
                "rel": "data",
                "type": JSON,
                "title": _("The collections"),
            },
        ],
    }
    if fmt == "html":
        return _html("landing.html", doc=body)
    return _json(body)


@bp.get("/conformance")
def conformance():
    fmt = _format()
    body = {"conformsTo": list(CONFORMANCE)}
    if fmt == "html":
        return _html("conformance.html", doc=body)
    return _json(body)


@bp.get("/api")
def api():
    fmt = _format()
    doc = document(url_for("ogc.landing", _external=True).rstrip("/"))
    if fmt == "html":
        return _html("api.html", doc=doc)
    return _json(doc, OPENAPI_MEDIA_TYPE)


# --- collections -------------------------------------------------------------------------------


def _collection_doc(collection: Collection, reader: Any) -> dict[str, Any]:
    title = str(collection.title)
    return {
        "id": collection.id,
        "title": title,
        "description": str(collection.description),
        "links": [
            *_self_links("ogc.collection", JSON, title, collection_id=collection.id),
            {
                "href": _url("ogc.items", "json", collection_id=collection.id),
                "rel": "items",
                "type": GEOJSON,
                "title": title,
            },
            {
                "href": _url("ogc.items", "html", collection_id=collection.id),
                "rel": "items",
                "type": HTML,
                "title": title,
            },
        ],
        "extent": extent(_session(), collection, reader),
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
    }


@bp.get("/collections")
def collections():
    fmt = _format()
    reader = request_reader()

    def doc() -> dict[str, Any]:
        return {
            "links": _self_links("ogc.collections", JSON, _("Collections")),
            "collections": [_collection_doc(c, reader) for c in COLLECTIONS.values()],
        }

    if fmt == "html":
        return _html("collections.html", doc=doc())
    return _kept(reader, lambda: _json(doc()))


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    fmt = _format()
    found = _collection(collection_id)
    reader = request_reader()
    if fmt == "html":
        return _html("collection.html", doc=_collection_doc(found, reader), collection=found)
    return _kept(reader, lambda: _json(_collection_doc(found, reader)))


# --- items -------------------------------------------------------------------------------------


def _one(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise _invalid(_("The parameter %(name)s is given more than once.", name=name))
    return values[0] if values else None


def _limit() -> int:
    text = _one("limit")
    if text is None:
        return DEFAULT_LIMIT
    value = parse_int(text, low=1, high=INT_MAX)
    if value is None:
        raise _invalid(_("The limit must be a whole number from 1 to %(max)d.", max=MAX_LIMIT))
    return min(value, MAX_LIMIT)  # a larger page is served at the largest size, not refused


def _offset() -> int:
    text = _one("offset")
    if text is None:
        return 0
    value = parse_int(text, low=0, high=INT_MAX)
    if value is None:
        raise _invalid(_("The offset must be a whole number, 0 or more."))
    return value


def _bbox() -> tuple[float, float, float, float] | None:
    text = _one("bbox")
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise _invalid(_("The bbox must be four numbers: min lon, min lat, max lon, max lat."))
    if len(parts) == 6:  # heights are not used: the facilities and units lie on the ground
        parts = [parts[0], parts[1], parts[3], parts[4]]
    minx, maxx = (parse_float(parts[i], low=-180.0, high=180.0) for i in (0, 2))
    miny, maxy = (parse_float(parts[i], low=-90.0, high=90.0) for i in (1, 3))
    if minx is None or miny is None or maxx is None or maxy is None:
        raise _invalid(
            _("The bbox must hold longitudes from -180 to 180 and latitudes from -90 to 90.")
        )
    if miny > maxy:
        raise _invalid(_("The bbox's southern edge lies north of its northern edge."))
    if minx > maxx:
        raise _invalid(_("A bbox across the antimeridian is not supported."))
    return (minx, miny, maxx, maxy)


def _instant(text: str) -> date | None:
    """One end of ``datetime``: an RFC 3339 date-time or a date; ``..`` or nothing is open."""
    text = text.strip()
    if text in ("", ".."):
        return None
    try:
        if "T" in text or "t" in text:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is not None:
                moment = moment.astimezone(UTC)
            return moment.date()
        return date.fromisoformat(text)
    except ValueError:
        raise _invalid(
            _(
                "The datetime must be a date-time (2024-01-31T00:00:00Z), a date or an "
                "interval such as 2020-01-01/.. (RFC 3339)."
            )
        ) from None


def _datetime() -> tuple[date | None, date | None] | None:
    text = _one("datetime")
    if text is None:
        return None
    if "/" in text:
        first, _sep, second = text.partition("/")
        if "/" in second:
            raise _invalid(_("The datetime interval has more than two ends."))
        start, end = _instant(first), _instant(second)
        if start is not None and end is not None and start > end:
            raise _invalid(_("The datetime interval ends before it starts."))
        return (start, end)
    if text.strip() in ("", ".."):
        raise _invalid(_("The datetime needs a date, or an interval with at least one end."))
    moment = _instant(text)
    return (moment, moment)


def _match(collection: Collection) -> dict[str, str]:
    match: dict[str, str] = {}
    for queryable in collection.queryables:
        value = _one(queryable.name)
        if value is None:
            continue
        if queryable.values is not None and value not in queryable.values:
            raise _invalid(
                _(
                    "The property %(name)s takes one of: %(values)s.",
                    name=queryable.name,
                    values=", ".join(queryable.values),
                )
            )
        if not value or len(value) > VALUE_MAX_LEN:
            raise _invalid(
                _(
                    "The value of %(name)s must be 1 to %(max)d characters.",
                    name=queryable.name,
                    max=VALUE_MAX_LEN,
                )
            )
        match[queryable.name] = value
    return match


def _query(collection: Collection) -> Query:
    return Query(
        limit=_limit(),
        offset=_offset(),
        bbox=_bbox(),
        during=_datetime(),
        match=_match(collection),
    )


def _page_links(
    collection: Collection, query: Query, matched: int, returned: int
) -> list[dict[str, str]]:
    """Self and alternate, and next/prev over the same query with the offset moved."""
    args = {k: v for k, v in request.args.items() if k not in ("f", "offset")}
    title = str(collection.title)
    offset = query.offset or None
    links = _self_links(
        "ogc.items", GEOJSON, title, collection_id=collection.id, **args, offset=offset
    )
    fmt = "html" if _wants_html() else "json"
    media = HTML if fmt == "html" else GEOJSON
    if query.offset + returned < matched:
        links.append(
            {
                "href": _url(
                    "ogc.items",
                    fmt,
                    collection_id=collection.id,
                    **args,
                    offset=query.offset + query.limit,
                ),
                "rel": "next",
                "type": media,
                "title": _("Next page"),
            }
        )
    if query.offset > 0:
        previous = max(0, query.offset - query.limit) or None
        links.append(
            {
                "href": _url(
                    "ogc.items", fmt, collection_id=collection.id, **args, offset=previous
                ),
                "rel": "prev",
                "type": media,
                "title": _("Previous page"),
            }
        )
    links.append(
        {
            "href": _url("ogc.collection", "json", collection_id=collection.id),
            "rel": "collection",
            "type": JSON,
            "title": title,
        }
    )
    return links


@bp.get("/collections/<collection_id>/items", endpoint="items")
def items_page(collection_id: str):
    found = _collection(collection_id)
    allowed = ITEMS_PARAMETERS | {q.name for q in found.queryables}
    fmt = _format(allowed)
    query = _query(found)
    reader = request_reader()

    def feature_collection() -> tuple[dict[str, Any], Any]:
        page = items(_session(), found, reader, query)
        now = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        body = {
            "type": "FeatureCollection",
            "timeStamp": now,
            "numberMatched": page.matched,
            "numberReturned": len(page.features),
            "links": _page_links(found, query, page.matched, len(page.features)),
            "features": page.features,
        }
        return body, page

    if fmt == "html":
        body, page = feature_collection()
        return _html(
            "items.html",
            doc=body,
            collection=found,
            query=query,
            records=page.records,
            properties=properties_for(reader),
        )
    return _kept(reader, lambda: _json(feature_collection()[0], GEOJSON))


@bp.get("/collections/<collection_id>/items/<feature_id>")
def feature(collection_id: str, feature_id: str):
    found = _collection(collection_id)
    fmt = _format()
    reader = request_reader()
    if fmt == "json":
        return _kept(reader, lambda: _feature_answer(found, reader, feature_id, fmt))
    return _feature_answer(found, reader, feature_id, fmt)


def _feature_answer(found: Collection, reader: read.Reader, feature_id: str, fmt: str):
    hit = item(_session(), found, reader, feature_id) if len(feature_id) <= VALUE_MAX_LEN else None
    if hit is None:
        abort(404, _("There is no feature %(id)s in this collection.", id=feature_id[:80]))
    body, record = hit
    title = str(body["properties"].get("name") or feature_id)
    body["links"] = [
        *_self_links("ogc.feature", GEOJSON, title, collection_id=found.id, feature_id=feature_id),
        {
            "href": _url("ogc.collection", "json", collection_id=found.id),
            "rel": "collection",
            "type": JSON,
            "title": str(found.title),
        },
    ]
    if fmt == "html":
        return _html(
            "item.html",
            doc=body,
            collection=found,
            record=record,
            properties=properties_for(reader),
        )
    return _json(body, GEOJSON)
