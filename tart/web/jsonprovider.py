"""Flask's JSON responses through orjson: fast, and able to embed stored JSON unparsed.

Event `data` comes from PostgreSQL as JSON text and is embedded as an orjson.Fragment, so a page
of 1000 events is never parsed into Python objects only to be serialised again.
"""

import orjson
from flask.json.provider import JSONProvider


class OrjsonProvider(JSONProvider):
    def dumps(self, obj, **kwargs) -> str:
        return orjson.dumps(obj).decode()

    def loads(self, s, **kwargs):
        return orjson.loads(s)

    def response(self, *args, **kwargs):
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(orjson.dumps(obj), mimetype="application/json")
