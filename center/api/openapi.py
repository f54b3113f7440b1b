"""The OpenAPI document, served at /api/v1/openapi.json."""
from flask import jsonify

from center.api import api
from center.auth import public


@api.route("/openapi.json")
@public
def openapi_document():
    return jsonify({"openapi": "3.1.0", "info": {"title": "Center API", "version": "1"}, "paths": {}})
