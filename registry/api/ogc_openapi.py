"""The API definition of ``/ogc`` (OpenAPI 3.0, as OGC API – Features Part 1 asks at
``/api``), built from the collections so each one's property filters are listed.

``SCHEMAS`` and ``PARAMETERS`` are the standard's own building blocks, copied from
``standards/ogcapi-features-1/ogcapi-features-1-oas30.yaml`` (OGC API – Features Part 1 1.1,
OpenAPI 3.0 flavour); a test holds them equal to it. Copyright (c) 2024 Open Geospatial
Consortium, under the OGC License (``standards/ogcapi-features-1/LICENSE``). This copy leaves
out the descriptions and examples: a modification not approved or adopted by the OGC.
"""

from __future__ import annotations

from typing import Any

from registry.api.ogc_collections import COLLECTIONS, Collection
from registry.i18n import _

OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100

SCHEMAS: dict[str, Any] = {
    "collection": {
        "type": "object",
        "required": ["id", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
            "linkTemplates": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/linkTemplate"},
            },
            "extent": {"$ref": "#/components/schemas/extent"},
            "itemType": {"type": "string", "default": "feature"},
            "crs": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
            },
        },
    },
    "collections": {
        "type": "object",
        "required": ["links", "collections"],
        "properties": {
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
            "collections": {"type": "array", "items": {"$ref": "#/components/schemas/collection"}},
        },
    },
    "confClasses": {
        "type": "object",
        "required": ["conformsTo"],
        "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}},
    },
    "exception": {
        "type": "object",
        "required": ["code"],
        "properties": {"code": {"type": "string"}, "description": {"type": "string"}},
    },
    "extent": {
        "type": "object",
        "properties": {
            "spatial": {
                "type": "object",
                "properties": {
                    "bbox": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "array",
                            "oneOf": [
                                {"minItems": 4, "maxItems": 4},
                                {"minItems": 6, "maxItems": 6},
                            ],
                            "items": {"type": "number"},
                        },
                    },
                    "crs": {
                        "type": "string",
                        "enum": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
                        "default": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                    },
                },
            },
            "temporal": {
                "type": "object",
                "properties": {
                    "interval": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "array",
                            "minItems": 2,
                            "maxItems": 2,
                            "items": {"type": "string", "format": "date-time", "nullable": True},
                        },
                    },
                    "trs": {
                        "type": "string",
                        "enum": ["http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"],
                        "default": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
                    },
                },
            },
        },
    },
    "featureCollectionGeoJSON": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/featureGeoJSON"}},
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
            "timeStamp": {"$ref": "#/components/schemas/timeStamp"},
            "numberMatched": {"$ref": "#/components/schemas/numberMatched"},
            "numberReturned": {"$ref": "#/components/schemas/numberReturned"},
        },
    },
    "featureGeoJSON": {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "geometry": {"$ref": "#/components/schemas/geometryGeoJSON"},
            "properties": {"type": "object", "nullable": True},
            "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
        },
    },
    "geometryGeoJSON": {
        "oneOf": [
            {"$ref": "#/components/schemas/pointGeoJSON"},
            {"$ref": "#/components/schemas/multipointGeoJSON"},
            {"$ref": "#/components/schemas/linestringGeoJSON"},
            {"$ref": "#/components/schemas/multilinestringGeoJSON"},
            {"$ref": "#/components/schemas/polygonGeoJSON"},
            {"$ref": "#/components/schemas/multipolygonGeoJSON"},
            {"$ref": "#/components/schemas/geometrycollectionGeoJSON"},
        ],
        "nullable": True,
    },
    "geometrycollectionGeoJSON": {
        "type": "object",
        "required": ["type", "geometries"],
        "properties": {
            "type": {"type": "string", "enum": ["GeometryCollection"]},
            "geometries": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/geometryGeoJSON"},
            },
        },
    },
    "landingPage": {
        "type": "object",
        "required": ["links"],
        "properties": {
            "title": {"type": "string"},
            "description": {"type": "string"},
            "links": {"type": "array", "items": {"$ref": "#/components/schemas/link"}},
        },
    },
    "linestringGeoJSON": {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["LineString"]},
            "coordinates": {
                "type": "array",
                "minItems": 2,
                "items": {"type": "array", "minItems": 2, "items": {"type": "number"}},
            },
        },
    },
    "link": {
        "type": "object",
        "required": ["href", "rel"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "hreflang": {"type": "string"},
            "title": {"type": "string"},
            "length": {"type": "integer"},
        },
    },
    "linkTemplate": {
        "type": "object",
        "required": ["uriTemplate", "rel"],
        "properties": {
            "uriTemplate": {"type": "string"},
            "rel": {"type": "string"},
            "title": {"type": "string"},
            "type": {"type": "string"},
            "varBase": {"type": "string"},
        },
    },
    "multilinestringGeoJSON": {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["MultiLineString"]},
            "coordinates": {
                "type": "array",
                "items": {
                    "type": "array",
                    "minItems": 2,
                    "items": {"type": "array", "minItems": 2, "items": {"type": "number"}},
                },
            },
        },
    },
    "multipointGeoJSON": {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["MultiPoint"]},
            "coordinates": {
                "type": "array",
                "items": {"type": "array", "minItems": 2, "items": {"type": "number"}},
            },
        },
    },
    "multipolygonGeoJSON": {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["MultiPolygon"]},
            "coordinates": {
                "type": "array",
                "items": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "minItems": 4,
                        "items": {"type": "array", "minItems": 2, "items": {"type": "number"}},
                    },
                },
            },
        },
    },
    "numberMatched": {"type": "integer", "minimum": 0},
    "numberReturned": {"type": "integer", "minimum": 0},
    "pointGeoJSON": {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {"type": "array", "minItems": 2, "items": {"type": "number"}},
        },
    },
    "polygonGeoJSON": {
        "type": "object",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["Polygon"]},
            "coordinates": {
                "type": "array",
                "items": {
                    "type": "array",
                    "minItems": 4,
                    "items": {"type": "array", "minItems": 2, "items": {"type": "number"}},
                },
            },
        },
    },
    "timeStamp": {"type": "string", "format": "date-time"},
}
PARAMETERS: dict[str, Any] = {
    "bbox": {
        "name": "bbox",
        "in": "query",
        "required": False,
        "schema": {
            "type": "array",
            "oneOf": [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}],
            "items": {"type": "number"},
        },
        "style": "form",
        "explode": False,
    },
    "collectionId": {
        "name": "collectionId",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    },
    "datetime": {
        "name": "datetime",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "style": "form",
        "explode": False,
    },
    "featureId": {
        "name": "featureId",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100},
        "style": "form",
        "explode": False,
    },
}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _content(schema_name: str | None, media_type: str) -> dict[str, Any]:
    schema = _ref("schemas", schema_name) if schema_name else {"type": "object"}
    return {media_type: {"schema": schema}, "text/html": {"schema": {"type": "string"}}}


def _responses() -> dict[str, Any]:
    error = {"application/json": {"schema": _ref("schemas", "exception")}}
    error_html = {**error, "text/html": {"schema": {"type": "string"}}}
    return {
        "LandingPage": {
            "description": _(
                "The landing page: links to the API definition, the conformance "
                "declaration and the collections."
            ),
            "content": _content("landingPage", "application/json"),
        },
        "ConformanceDeclaration": {
            "description": _("The conformance classes this API implements."),
            "content": _content("confClasses", "application/json"),
        },
        "API": {
            "description": _("This API definition."),
            "content": {
                OPENAPI_MEDIA_TYPE: {"schema": {"type": "object"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        "Collections": {
            "description": _("The collections of features this API serves."),
            "content": _content("collections", "application/json"),
        },
        "Collection": {
            "description": _("One collection: its extent and links to its items."),
            "content": _content("collection", "application/json"),
        },
        "Features": {
            "description": _(
                "A page of the collection's features that match the query, with "
                "links to the next and previous pages."
            ),
            "content": _content("featureCollectionGeoJSON", "application/geo+json"),
        },
        "Feature": {
            "description": _("One feature."),
            "content": _content("featureGeoJSON", "application/geo+json"),
        },
        "InvalidParameter": {
            "description": _("A query parameter is unknown or has an invalid value."),
            "content": error_html,
        },
        "Unauthorized": {
            "description": _("The API token sent is not valid, revoked or expired."),
            "content": error,
        },
        "NotFound": {
            "description": _("No such collection or feature (or one the caller may not see)."),
            "content": error_html,
        },
    }


def _format_parameters() -> list[dict[str, Any]]:
    return [
        {
            "name": "f",
            "in": "query",
            "required": False,
            "description": _("The format of the response; without it, the Accept header decides."),
            "schema": {"type": "string", "enum": ["json", "html"]},
        },
        {
            "name": "lang",
            "in": "query",
            "required": False,
            "description": _("The language of titles and pages."),
            "schema": {"type": "string", "enum": ["vi", "en"]},
        },
    ]


def _get(
    operation_id: str,
    summary: str,
    response: str,
    parameters: list[dict[str, Any]] | None = None,
    *,
    not_found: bool = False,
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": _ref("responses", response),
        "400": _ref("responses", "InvalidParameter"),
        "401": _ref("responses", "Unauthorized"),
    }
    if not_found:
        responses["404"] = _ref("responses", "NotFound")
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["OGC API – Features"],
            "parameters": [*(parameters or []), *_format_parameters()],
            "responses": responses,
        }
    }


def _queryable_parameters(collection: Collection) -> list[dict[str, Any]]:
    out = []
    for queryable in collection.queryables:
        schema: dict[str, Any] = {"type": "string", "maxLength": 50}
        if queryable.values:
            schema = {"type": "string", "enum": list(queryable.values)}
        out.append(
            {
                "name": queryable.name,
                "in": "query",
                "required": False,
                "description": _(
                    "Only features whose property %(name)s equals this value.", name=queryable.name
                ),
                "schema": schema,
                "style": "form",
                "explode": False,
            }
        )
    return out


def _collection_paths(collection: Collection) -> dict[str, Any]:
    base = f"/collections/{collection.id}"
    cid = collection.id.replace("-", "_")
    title = str(collection.title)
    return {
        base: _get(f"describe_{cid}", title, "Collection", not_found=True),
        f"{base}/items": _get(
            f"get_{cid}_items",
            _("Features of the collection %(title)s", title=title),
            "Features",
            [
                _ref("parameters", "limit"),
                _ref("parameters", "offset"),
                _ref("parameters", "bbox"),
                _ref("parameters", "datetime"),
                *_queryable_parameters(collection),
            ],
            not_found=True,
        ),
        f"{base}/items/{{featureId}}": _get(
            f"get_{cid}_item",
            _("One feature of the collection %(title)s", title=title),
            "Feature",
            [_ref("parameters", "featureId")],
            not_found=True,
        ),
    }


def document(server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the OGC routes, served at ``server_url``."""
    paths: dict[str, Any] = {
        "/": _get("get_landing_page", _("Landing page"), "LandingPage"),
        "/conformance": _get("get_conformance", _("Conformance classes"), "ConformanceDeclaration"),
        "/api": _get("get_api", _("This API definition"), "API"),
        "/collections": _get("get_collections", _("Collections"), "Collections"),
    }
    for collection in COLLECTIONS.values():
        paths.update(_collection_paths(collection))
    offset = {
        "name": "offset",
        "in": "query",
        "required": False,
        "description": _("How many matching features to skip (the next link carries it)."),
        "schema": {"type": "integer", "minimum": 0, "default": 0},
        "style": "form",
        "explode": False,
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": _("Social assistance facility registry: OGC API – Features"),
            "description": _(
                "Facilities and administrative units for GIS clients (QGIS, GDAL). Reading "
                "needs no account: without one, confidential locations are generalised and "
                "only public attributes are given; an API token gives its holder's view."
            ),
            "version": "1.0.0",
            "license": {"name": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": server_url}],
        "tags": [{"name": "OGC API – Features"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "parameters": {**PARAMETERS, "offset": offset},
            "responses": _responses(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"bearer": []}],
    }
