"""OpenAPI description of the consultation routes in center/api/consultations.py.

Who may call each operation is added from the route declarations (`x-roles`).
"""
from center.api.consultations import COUNT_CAP, MAX_QUERY
from center.api.openapi import (add_path, add_schema, enum_schema, errors, json_response,
                                page_of, page_parameters, query_parameter, ref)
from center.models.consultations import (CHANNEL_LABELS, MAX_MINUTES, MAX_TEXT, STATE_LABELS,
                                         TOPIC_LABELS, Channel, ConsultationState, Topic)
from center.services.consultations import MAX_NAME, MAX_PHONE

NULLABLE_STRING = {"type": ["string", "null"]}
TIMESTAMP = {"type": "string", "format": "date-time", "description": "ISO 8601 with offset (UTC)."}
NULLABLE_TIMESTAMP = {**TIMESTAMP, "type": ["string", "null"]}
DAY = {"type": "string", "format": "date", "examples": ["2026-03-15"],
       "description": "A calendar day, YYYY-MM-DD."}

add_schema("Channel", enum_schema(Channel, CHANNEL_LABELS))
add_schema("Topic", enum_schema(Topic, TOPIC_LABELS))
add_schema("ConsultationState", enum_schema(ConsultationState, STATE_LABELS))
add_schema("Consultation", {
    "type": "object",
    "required": ["id", "occurred_at", "channel", "channel_label", "organization_id",
                 "organization_name", "requester_name", "requester_phone", "topics", "question",
                 "answer", "minutes", "state", "state_label", "follow_up_on",
                 "follow_up_closed_at", "follow_up_outcome", "satisfaction", "outcome",
                 "evaluated_at", "staff_id", "staff_name", "created_at", "archived_at"],
    "properties": {
        "id": {"type": "integer"},
        "occurred_at": {"type": "string", "format": "date-time",
                        "description": "When the conversation took place, ISO 8601 in the "
                                       "center's time zone (+08:00)."},
        "channel": ref("Channel"),
        "channel_label": {"type": "string", "description": "The channel's label, translated."},
        "organization_id": {"type": ["integer", "null"]},
        "organization_name": NULLABLE_STRING,
        "requester_name": {**NULLABLE_STRING,
                           "description": "An individual asking (when no organization)."},
        "requester_phone": NULLABLE_STRING,
        "topics": {"type": "array", "items": ref("Topic"), "minItems": 1,
                   "description": "In the order of the `Topic` codes."},
        "question": {"type": "string"}, "answer": NULLABLE_STRING,
        "minutes": {"type": "integer", "minimum": 1, "maximum": MAX_MINUTES},
        "state": ref("ConsultationState"),
        "state_label": {"type": "string", "description": "The state's label, translated."},
        "follow_up_on": {**DAY, "type": ["string", "null"],
                         "description": "Follow-up date (only in state `follow_up`)."},
        "follow_up_closed_at": NULLABLE_TIMESTAMP,
        "follow_up_outcome": NULLABLE_STRING,
        "satisfaction": {"type": ["integer", "null"], "minimum": 1, "maximum": 5,
                         "description": "Outcome evaluation (成效评估), once resolved."},
        "outcome": NULLABLE_STRING,
        "evaluated_at": NULLABLE_TIMESTAMP,
        "staff_id": {"type": "integer", "description": "Who logged it."},
        "staff_name": NULLABLE_STRING,
        "created_at": TIMESTAMP,
        "archived_at": NULLABLE_TIMESTAMP,
    },
})
add_schema("ConsultationInput", {
    "type": "object",
    "required": ["channel", "topics", "question", "minutes"],
    "description": "Give the requester once: `organization_id` (an organization of the "
                   "directory, not archived) or `requester_name` (an individual, optionally "
                   "with `requester_phone`), not both. Text is stored as typed (HTML is never "
                   "interpreted) and may not contain control characters.",
    "properties": {
        "channel": ref("Channel"),
        "organization_id": {"type": "integer", "minimum": 1},
        "requester_name": {"type": "string", "maxLength": MAX_NAME},
        "requester_phone": {"type": "string", "maxLength": MAX_PHONE,
                            "pattern": "^[0-9+\\-() ]{3,30}$"},
        "topics": {"type": "array", "items": ref("Topic"), "minItems": 1,
                   "description": "One or more topic codes; repeats are ignored."},
        "question": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
        "answer": {"type": "string", "maxLength": MAX_TEXT},
        "minutes": {"type": "integer", "minimum": 1, "maximum": MAX_MINUTES,
                    "description": "Time spent, whole minutes (a JSON number, not a string)."},
        "state": {**ref("ConsultationState"), "default": "resolved"},
        "follow_up_on": {**DAY, "description": "Required when `state` is `follow_up`; "
                                               "ignored otherwise. YYYY-MM-DD."},
        "occurred_at": {"type": "string", "format": "date-time",
                        "examples": ["2026-03-15T09:30:00+08:00"],
                        "description": "When it took place, ISO 8601 with an offset, not in "
                                       "the future; default: now."},
    },
})
_page = page_of("Consultation")
_page["required"].append("total_capped")
_page["properties"]["total"] = {
    "type": "integer", "minimum": 0, "maximum": COUNT_CAP,
    "description": "Rows matching the filters, all pages, counted up to %d." % COUNT_CAP}
_page["properties"]["total_capped"] = {
    "type": "boolean", "description": "More than %d rows match: `total` is a lower bound; "
                                      "narrow the filters (a period) for an exact count, or "
                                      "read pages until one is short." % COUNT_CAP}
add_schema("ConsultationPage", _page)

CONSULTATION_ID = {"name": "consultation_id", "in": "path", "required": True,
                   "schema": {"type": "integer"}}
DAY_PARAMETER = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}

add_path("/consultations", "get", {
    "operationId": "list_consultations", "tags": ["consultations"],
    "summary": "Consultations matching the filters, newest first; archived ones are left out.",
    "parameters": [
        query_parameter("from", DAY_PARAMETER, "Took place on or after this day (center time)."),
        query_parameter("to", DAY_PARAMETER, "Took place on or before this day (inclusive)."),
        {**query_parameter("topic", {"type": "array", "items": ref("Topic")},
                           "Has this topic; repeat the parameter for any of several."),
         "style": "form", "explode": True},
        query_parameter("q", {"type": "string", "maxLength": MAX_QUERY},
                        "Text in the question, the answer or the requester's name; any part "
                        "of a Chinese word matches (税务 finds 税务登记)."),
        query_parameter("channel", ref("Channel"), "Only this channel."),
        query_parameter("state", ref("ConsultationState"), "Only this state."),
        query_parameter("organization_id", {"type": "integer", "minimum": 1},
                        "Only this organization's consultations."),
        query_parameter("staff_id", {"type": "integer", "minimum": 1},
                        "Only those logged by this staff member."),
        *page_parameters()],
    "responses": {"200": json_response("One page.", ref("ConsultationPage")),
                  **errors(400, 403)},
})
add_path("/consultations", "post", {
    "operationId": "create_consultation", "tags": ["consultations"],
    "summary": "Log a consultation, by the token's user.",
    "description": "Every problem is reported at once in `fields` (422), by the input's field "
                   "names: no requester or both, an unknown channel, topic or state, minutes "
                   "outside 1–%d, a follow-up without its date, a date not YYYY-MM-DD, text "
                   "longer than %d characters or with control characters, an unknown or "
                   "archived organization, a value of the wrong JSON type. Nothing is stored on "
                   "any error." % (MAX_MINUTES, MAX_TEXT),
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": ref("ConsultationInput")}}},
    "responses": {
        "201": {**json_response("Logged.", ref("Consultation")),
                "headers": {"Location": {"description": "URL of the new consultation.",
                                         "schema": {"type": "string"}}}},
        **errors(400, 403, 413, 422)},
})
add_path("/consultations/{consultation_id}", "get", {
    "operationId": "get_consultation", "tags": ["consultations"],
    "summary": "One consultation (also an archived one).",
    "parameters": [CONSULTATION_ID],
    "responses": {"200": json_response("The consultation.", ref("Consultation")),
                  **errors(403, 404)},
})
