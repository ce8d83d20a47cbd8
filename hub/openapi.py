"""The OpenAPI document, completed so that it tells the truth about errors and input.

FastAPI documents a 422 of its own shape (``{"detail": [...]}``) that the hub never sends, and
no other error. :func:`install_openapi` replaces that, for every operation at once, from what
each route really depends on:

- 422 everywhere: any request can be refused at the door (``hub.bodylimit``: size, unreadable
  JSON, control characters in the path or any query parameter);
- 401 for a route that reads a token (``optional_user`` answers 401 to a bad one), 401 and
  403 for a route that requires one (roles, areas, membership), with the bearer scheme;
- 404 for a route with an id in its path, a ``..._id`` query parameter, or a body that names
  other records;
- 409 for a route that changes something or names a record in its path;
- 429 where a route says so itself (rate limits), with ``Retry-After``;

each with the one error shape, :class:`hub.errors.ErrorOut`. Every string the API reads gets
the rule of ``hub.validation`` (no control characters) as its ``pattern``, unless its own
type says more (a stricter pattern, a format, a list of values); a string named ``area`` gets
the forms ``hub.area_filter`` reads. Every integer it reads is bounded to 64 bits, as the
databases store them (beyond, the answer is 422). ``tests/hub/test_schemathesis.py`` holds the
hub to this document.
"""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from hub.area_filter import area_pattern
from hub.deps import current_user, optional_user
from hub.errors import ErrorOut, FieldErrorOut
from hub.validation import TEXT_PATTERN

INT64_MAX = 2**63 - 1
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
DESCRIPTIONS = {
    401: "No valid token: sign in (again).",
    403: "Signed in, but this account may not do this (role, area, site or state).",
    404: "A record named in the request does not exist, or is not visible to this account.",
    409: "The request clashes with the current state (an over-claim, an invalid change).",
    422: "Invalid input: refused fields are listed in `errors` when the schema refused them.",
    429: "Too many requests; `Retry-After` says how many seconds to wait.",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
#: FastAPI's own validation-error schemas, which the hub never sends.
FASTAPI_ERRORS = ("HTTPValidationError", "ValidationError")


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def error_codes(route: Any) -> set[int]:
    """The error statuses ``route`` (an included ``APIRoute``) can answer, from what it
    depends on."""
    calls = set(_calls(route.dependant))
    codes = {422}
    if current_user in calls:
        codes |= {401, 403}
    elif optional_user in calls:
        codes.add(401)
    # A query parameter named ``..._id`` names a record too (``GET /needs?lab_id=``).
    names_a_record = any(p.name.endswith("_id") for p in route.dependant.query_params)
    if route.dependant.path_params or route.dependant.body_params or names_a_record:
        codes.add(404)
    if route.methods - {"GET", "HEAD"} or route.dependant.path_params:
        # A record named in the path may be in a state that refuses the request (a label
        # for a cancelled batch).
        codes.add(409)
    declared = {int(code) for code in route.responses if str(code).isdigit()}
    codes |= {code for code in declared if code >= 400}
    return codes


def _description(declared: str | None, code: int) -> str:
    # FastAPI's own "Validation Error" says less than ours.
    return DESCRIPTIONS[code] if declared in (None, "", "Validation Error") else declared


def _security(route: Any) -> list[dict[str, list[str]]] | None:
    calls = set(_calls(route.dependant))
    if current_user in calls:
        return [{"bearer": []}]
    if optional_user in calls:
        return [{"bearer": []}, {}]
    return None


def _strings(schema: Any) -> Iterator[dict[str, Any]]:
    """Every string schema inside ``schema`` (JSON Schema), nested ones included."""
    if isinstance(schema, dict):
        if schema.get("type") == "string":
            yield schema
        for value in schema.values():
            yield from _strings(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _strings(value)


def _constrain(string: dict[str, Any], name: str | None = None) -> None:
    if {"pattern", "format", "enum", "const"} & string.keys():
        return
    # ``area`` is one thing everywhere in the API: FR, region:CODE or departement:CODE, read
    # by hub.area_filter.parse_area_param.
    string["pattern"] = area_pattern() if name == "area" else TEXT_PATTERN


def _integers(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        if schema.get("type") == "integer":
            yield schema
        for value in schema.values():
            yield from _integers(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _integers(value)


def _bound(integer: dict[str, Any]) -> None:
    # The databases store 64-bit integers; a larger id or count is refused with 422.
    if "maximum" not in integer and "exclusiveMaximum" not in integer:
        integer["maximum"] = INT64_MAX
    if "minimum" not in integer and "exclusiveMinimum" not in integer:
        integer["minimum"] = -INT64_MAX - 1


def _strings_named(
    schema: Any, name: str | None = None
) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Every string schema inside ``schema`` with the name of the property it is."""
    if isinstance(schema, dict):
        if schema.get("type") == "string":
            yield schema, name
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                for prop, sub in value.items():
                    yield from _strings_named(sub, prop)
            else:
                yield from _strings_named(value, name)
    elif isinstance(schema, list):
        for value in schema:
            yield from _strings_named(value, name)


def _request_refs(document: dict[str, Any]) -> set[str]:
    """Names of the component schemas request bodies use, directly or through others."""
    components = document.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    todo = [
        op["requestBody"]
        for item in document["paths"].values()
        for op in item.values()
        if "requestBody" in op
    ]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    todo.append(components.get(name))
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return seen


def document_errors(document: dict[str, Any], routes: list[Any]) -> dict[str, Any]:
    """Complete ``document`` in place: error responses, security and text patterns."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in FASTAPI_ERRORS:
        schemas.pop(name, None)
    for model in (ErrorOut, FieldErrorOut):
        schemas[model.__name__] = model.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
    schemas["ErrorOut"].pop("$defs", None)
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/v1/auth/token or /auth/signup.",
        }
    }
    # Routes as FastAPI sees them once included: prefixes, router dependencies and responses.
    for route in iter_route_contexts(routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        item = document["paths"].get(route.path_format, {})
        for method in route.methods or ():
            operation = item.get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for code in sorted(error_codes(route)):
                existing = responses.get(str(code), {})
                response: dict[str, Any] = {
                    "description": _description(existing.get("description"), code),
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
                if code == 429:
                    response["headers"] = RETRY_AFTER
                responses[str(code)] = response
            security = _security(route)
            if security is not None:
                operation["security"] = security
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in ("path", "query"):
                    for string in _strings(parameter.get("schema")):
                        _constrain(string, parameter["name"])
                    for integer in _integers(parameter.get("schema")):
                        _bound(integer)
            for string, prop in _strings_named(operation.get("requestBody")):
                _constrain(string, prop)
            for integer in _integers(operation.get("requestBody")):
                _bound(integer)
    for ref in _request_refs(document):
        for string, prop in _strings_named(schemas.get(ref)):
            _constrain(string, prop)
        for integer in _integers(schemas.get(ref)):
            _bound(integer)
    return document


def optional_bodies_as_models(document: dict[str, Any]) -> dict[str, Any]:
    """Document an optional JSON body (``body: Model | None = None``) as its model with
    ``required: false``, not as ``anyOf [Model, null]``: the same requests are valid, and
    ReDoc draws the latter as an unlabelled choice between "Model" and "Body"."""
    for operation in (op for item in document["paths"].values() for op in item.values()):
        body: dict[str, Any] = operation.get("requestBody") or {}
        for media in body.get("content", {}).values():
            choices = media.get("schema", {}).get("anyOf", [])
            models = [c for c in choices if c != {"type": "null"}]
            if len(choices) == 2 and len(models) == 1 and "$ref" in models[0]:
                media["schema"] = models[0]
                body["required"] = False
    return document


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the completed document (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = optional_bodies_as_models(document_errors(document, app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
