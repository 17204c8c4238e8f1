"""/api/openapi.json stays true: every route is documented, every documented path answers with
the documented shape, and no query string, however odd, makes the API answer 500."""

import re
import string
import time
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.rows import authored, best_block

NODE = "c3" * 32
BLOCK = "0x" + "b1" * 32
WORK_PACKAGE = "0x" + "f0" * 32
DOCUMENTED_PARAMETER_VALUES = {
    "limit": "5",
    "event_type": "11,42",
    "before_id": "1000",
    "since_id": "0",
    "node_id": "c3",
    "offset": "1",
    "since": "2020-01-01T00:00:00Z",
    "until": "2100-01-01T00:00:00Z",
    "session": "1",
    "from": str(int(time.time()) - 2 * 86400),
    "to": str(int(time.time()) - 86400),
    "step": "3600",
    "by": "node",
    "silent_for": "30",
}
PATH_PARAMETER_VALUES = {
    "node_id": NODE,
    "block": BLOCK,
    "work_package_hash": WORK_PACKAGE,
    "name": "polkajam",
    "version": "0.1.0",
}


def document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json


def schema_ref_parts(ref):
    return ref.removeprefix("#/").split("/")


def deref(doc, schema):
    while "$ref" in schema:
        node = doc
        for part in schema_ref_parts(schema["$ref"]):
            node = node[part]
        schema = node
    return schema


def check(doc, schema, value, where):
    """The value has the schema's required keys and no others, recursively (a small validator)."""
    schema = deref(doc, schema)
    if "allOf" in schema:
        merged = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = deref(doc, part)
            merged["properties"].update(part["properties"])
            merged["required"] += part["required"]
        schema = merged
    if value is None:
        assert schema.get("nullable"), f"{where} is null"
        return
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        assert isinstance(value, dict), where
        assert set(schema["required"]) <= set(value), f"{where} lacks keys"
        assert set(value) <= set(schema["properties"]), (
            f"{where} has undocumented {set(value) - set(schema['properties'])}"
        )
        for key, item in value.items():
            check(doc, schema["properties"][key], item, f"{where}.{key}")
    elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            check(doc, schema["additionalProperties"], item, f"{where}.{key}")
    elif kind == "array":
        assert isinstance(value, list), where
        for n, item in enumerate(value):
            check(doc, schema["items"], item, f"{where}[{n}]")
    elif kind in ("integer", "string", "boolean", "number"):
        expected = {"integer": int, "string": str, "boolean": bool, "number": (int, float)}[kind]
        assert isinstance(value, expected), f"{where}: {value!r} is not {kind}"
        if "enum" in schema:
            assert value in schema["enum"], where
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), f"{where}: {value!r}"


def populate(rows):
    session = rows.node(NODE)
    rows.events(NODE, session, [best_block(1), authored(1), best_block(2)])
    rows.events(
        NODE,
        session,
        [
            (43, {"Importing": {"slot": 3, "outline": {"hash": BLOCK}}}),
            (90, {"WorkPackageSubmission": {"builder": "0x" + NODE, "ce_146": False}}),
            (94, {"WorkPackageReceived": {"submission_or_share_id": 4, "core": 0,
                                          "outline": {"hash": WORK_PACKAGE}}}),
        ],
        start_event_id=3,
    )  # fmt: skip
    (error_id,) = rows.sql(
        "INSERT INTO decode_errors (node_id, session_id, raw, reason, discriminator, "
        "field_path, byte_offset) VALUES (%s, %s, '\\x0102', 'bad', 11, "
        "'BestBlockChanged.hash', 10) RETURNING id",
        (NODE, session),
    )[0]
    # The conformance counts of these rows, as the ingest writer keeps them.
    rows.sql(
        'UPDATE known_nodes SET events_by_type = \'{"11": 2, "42": 1, "43": 1, "90": 1, "94": 1}\''
        " WHERE node_id = %s;"
        " INSERT INTO conformance_errors"
        " VALUES (%s, 11, 'BestBlockChanged.hash', 10, 'bad', 1, %s)",
        (NODE, NODE, error_id),
    )
    rows.ingest_stats("ingest-1", {"active_connections": 1, "events_received": 3})


def test_every_api_route_is_documented(app, client):
    documented = set(document(client)["paths"])
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if not getattr(rule, "websocket", False)
    }
    api_routes = {route for route in routes if route.startswith("/api/")}
    assert api_routes <= documented, api_routes - documented
    assert documented <= routes, documented - routes


def test_every_documented_path_answers_in_its_documented_shape(client, rows):
    populate(rows)
    doc = document(client)
    for path, item in doc["paths"].items():
        operation = item["get"]
        url = re.sub(r"{(\w+)}", lambda m: PATH_PARAMETER_VALUES[m[1]], path)
        query = {
            p["name"]: DOCUMENTED_PARAMETER_VALUES[p["name"]]
            for p in operation["parameters"]
            if p["in"] == "query"
        }
        for with_query in ({}, query):
            response = client.get(url, query_string=with_query)
            assert str(response.status_code) in operation["responses"], url
            assert response.status_code == 200, (url, with_query, response.data)
            content = operation["responses"]["200"]["content"]
            if "schema" in content.get("application/json", {}):
                check(doc, content["application/json"]["schema"], response.json, url)


def test_documented_errors_have_the_error_shape(client):
    doc = document(client)
    for url in ("/api/nodes/zz", f"/api/nodes/{NODE}", "/api/events?limit=abc"):
        response = client.get(url)
        check(doc, doc["components"]["schemas"]["Error"], response.json, url)


ODD_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "0",
            "-1",
            "1000",
            "1001",
            "2147483648",
            "9223372036854775807",
            "9223372036854775808",
            "1e3",
            "0x10",
            "NaN",
            "",
            " ",
            "%00",
            "\x00",
            "11,",
            ",",
            "255",
            "256",
            "c3",
            "0xC3",
            NODE,
            "0x" + NODE.upper(),
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.lists(st.integers(min_value=-5, max_value=300), max_size=20).map(
        lambda items: ",".join(map(str, items))
    ),
)
PARAMETERS = st.dictionaries(
    st.sampled_from(
        [
            "limit",
            "offset",
            "event_type",
            "before_id",
            "since_id",
            "node_id",
            "since",
            "until",
            "session",
            "other",
        ]
    ),
    ODD_TEXT,
    max_size=5,
)
PATHS = st.sampled_from(
    [
        "/api/events",
        "/api/nodes/{node}/events",
        "/api/nodes/{node}/errors",
        "/api/errors",
        "/api/sessions",
        "/api/nodes/{node}",
        "/api/nodes/{node}/conformance",
        "/api/implementations/{node}/{node}/conformance",
        "/api/nodes",
        "/api/stats",
    ]
)
NODE_IDS = st.one_of(
    st.just(NODE),
    st.just("0x" + NODE.upper()),
    st.text(alphabet=string.hexdigits + "xX", max_size=70),
    st.text(min_size=1, max_size=20),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=PATHS, node=NODE_IDS, parameters=PARAMETERS)
def test_no_query_string_makes_the_api_fail(client, rows, path, node, parameters):
    if not rows.sql("SELECT 1 FROM known_nodes"):
        populate(rows)
    url = path.format(node=quote(node, safe=""))
    response = client.get(url, query_string=parameters)
    assert response.status_code in (200, 400, 404), (url, parameters, response.data)
    assert response.content_type == "application/json"
    if response.status_code != 200:
        assert set(response.json) == {"error", "detail"}
        assert response.json["error"]
