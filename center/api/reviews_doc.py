"""OpenAPI description of the pre-review routes in center/api/reviews.py.

Who may call each operation is added from the route declarations (`x-roles`).
"""
from center.api.openapi import (DOCUMENT, add_path, add_schema, enum_schema, errors,
                                json_response, query_parameter, ref)
from center.api.reviews import MAX_REASONS, MAX_YEAR, MIN_YEAR, NOT_FOUND, THROTTLED
from center.models.reviews import (CHANNEL_LABELS, REVIEW_STATE_LABELS, WAITING_STATES,
                                   IntakeChannel, ReviewState)
from center.services.reviews import DEFAULT_REASONS, MAX_COMMENT

NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
DATE = {"type": "string", "format": "date"}
LOCAL_TIME = {"type": "string", "format": "date-time",
              "description": "ISO 8601 with offset, in the center's time zone (+08:00)."}
PUBLIC_STATES = [s.value for s in ReviewState if s is not ReviewState.withdrawn]
REASON_CODES = ", ".join(f"`{code}` {label}" for code, label, _g in DEFAULT_REASONS)

# The error shape lists every code an answer may carry; the lookup's limit has its own.
_codes = DOCUMENT["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
_codes["enum"] = sorted({*_codes["enum"], THROTTLED, NOT_FOUND})
ERROR = {"application/json": {"schema": ref("Error")}}
THROTTLED_RESPONSE = {
    "description": "Too many lookups from this client address (by default 10 a minute and 100 "
                   "a day, shared with the lookup page): error code `too_many_requests`; the "
                   "message says how many minutes to wait.",
    "headers": {"Retry-After": {"description": "Seconds until a lookup is allowed again.",
                                "schema": {"type": "integer"}}},
    "content": ERROR,
}

add_schema("ReviewState", enum_schema(ReviewState, REVIEW_STATE_LABELS))
add_schema("PublicReviewState", {
    "type": "string", "enum": PUBLIC_STATES,
    "x-enum-labels": {code: str(REVIEW_STATE_LABELS[code]) for code in PUBLIC_STATES},
    "description": "; ".join(f"`{c}` {REVIEW_STATE_LABELS[c]}" for c in PUBLIC_STATES)
                   + ". A withdrawn intake is void and answers 404 like an unknown one.",
})
add_schema("IntakeChannel", enum_schema(IntakeChannel, CHANNEL_LABELS))
add_schema("ReviewFile", {
    "type": "object", "required": ["id", "filename", "kind", "size"],
    "properties": {"id": {"type": "integer"}, "filename": {"type": "string"},
                   "kind": {"type": "string", "enum": ["pdf", "xlsx"]},
                   "size": {"type": "integer", "minimum": 1, "description": "Bytes."}},
})
add_schema("Review", {
    "type": "object",
    "required": ["id", "receipt_no", "year", "organization_id", "organization_name",
                 "credit_code", "status", "status_label", "channel", "channel_label",
                 "received_on", "due_on", "due_provisional", "correction_due_on",
                 "return_count", "assigned_to_id", "claimed_by_id", "claimed_at", "updated_at",
                 "files"],
    "properties": {
        "id": {"type": "integer"},
        "receipt_no": {"type": "string", "examples": ["2025-7K3M9QXA"],
                       "description": "Handed to the organization; with the credit code it "
                                      "opens the public status lookup."},
        "year": {"type": "integer", "description": "The report year (the cycle)."},
        "organization_id": {"type": "integer"}, "organization_name": {"type": "string"},
        "credit_code": {"type": "string"},
        "status": ref("ReviewState"),
        "status_label": {"type": "string", "description": "The state in plain words, translated."},
        "channel": ref("IntakeChannel"), "channel_label": {"type": "string"},
        "received_on": DATE,
        "due_on": {**NULLABLE_DATE,
                   "description": "The center's deadline while the report waits on the center "
                                  "or is in review (working days after receipt or resubmission); "
                                  "null while returned (the clock stops) and when done."},
        "due_provisional": {"type": "boolean",
                            "description": "The deadline runs into days whose holiday schedule "
                                           "is not yet published."},
        "correction_due_on": {**NULLABLE_DATE,
                              "description": "The organization's deadline while returned."},
        "return_count": {"type": "integer", "minimum": 0},
        "assigned_to_id": {"type": ["integer", "null"]},
        "claimed_by_id": {"type": ["integer", "null"],
                          "description": "The reviewer holding it (only in `in_review`)."},
        "claimed_at": {**LOCAL_TIME, "type": ["string", "null"]},
        "updated_at": LOCAL_TIME,
        "files": {"type": "array", "items": ref("ReviewFile")},
    },
})
add_schema("ReviewInput", {
    "type": "object", "required": ["credit_code", "year"],
    "properties": {
        "credit_code": {"type": "string", "examples": ["51110000MJ0101505U"],
                        "description": "Unified social credit code of an organization in the "
                                       "directory (spaces and case are ignored)."},
        "year": {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR,
                 "description": "The report year; a review cycle must exist for it."},
        "received_on": {"type": "string", "format": "date", "examples": ["2026-03-02"],
                        "description": "Date the report was handed in (default: today, center "
                                       "time); not in the future, not before the cycle opens."},
    },
})
add_schema("ReturnReasonInfo", {
    "type": "object", "required": ["code", "label", "guidance"],
    "properties": {"code": {"type": "string"}, "label": {"type": "string"},
                   "guidance": {"type": ["string", "null"],
                                "description": "What the organization should do about it."}},
})
add_schema("ReviewStatus", {
    "type": "object",
    "required": ["status", "status_label", "reasons", "updated_at", "comment", "year",
                 "received_on", "due_on", "correction_due_on", "queue_position",
                 "expected_review_on", "next_step"],
    "description": "A report's progress as its organization may see it: nothing about the "
                   "organization itself, nobody's name, no internal step.",
    "properties": {
        "status": ref("PublicReviewState"),
        "status_label": {"type": "string", "description": "The state in plain Chinese."},
        "reasons": {"type": "array", "items": ref("ReturnReasonInfo"),
                    "description": "While `returned`: the reasons of the return, in the "
                                   "reviewer's order, with guidance; otherwise empty."},
        "comment": {"type": ["string", "null"],
                    "description": "While `returned`: the reviewer's comment, if any."},
        "updated_at": {**LOCAL_TIME, "description": "Last change of the report's state."},
        "year": {"type": "integer"}, "received_on": DATE,
        "due_on": {**NULLABLE_DATE,
                   "description": "While open: the date by which the center should have "
                                  "reviewed it (its service level)."},
        "correction_due_on": {**NULLABLE_DATE,
                              "description": "While `returned`: resubmit by this date."},
        "queue_position": {"type": ["integer", "null"], "minimum": 1,
                           "description": "While waiting (" + ", ".join(WAITING_STATES)
                                          + "): 1 is the next to be reviewed."},
        "expected_review_on": {**NULLABLE_DATE,
                               "description": "While waiting: the working day it should be "
                                              "reviewed by at the pace of the last 10 working "
                                              "days; null when there is no pace to go by."},
        "next_step": {"type": "string", "description": "What to do next, in plain Chinese."},
    },
})
add_schema("ReturnInput", {
    "type": "object", "required": ["reasons"],
    "properties": {
        "reasons": {"type": "array", "minItems": 1, "maxItems": MAX_REASONS,
                    "items": {"type": "string"},
                    "description": "Codes of active checklist items; the defaults are "
                                   + REASON_CODES + "."},
        "comment": {"type": ["string", "null"], "maxLength": MAX_COMMENT},
    },
})
add_schema("PassInput", {
    "type": "object",
    "properties": {"comment": {"type": ["string", "null"], "maxLength": MAX_COMMENT}},
})

SUBMISSION_ID = {"name": "submission_id", "in": "path", "required": True,
                 "schema": {"type": "integer"}}
HELD = ("The item must be `in_review` and claimed by the caller: another reviewer's item is "
        "refused with 403, an item in another state (e.g. passed already) with 409.")

add_path("/reviews", "post", {
    "operationId": "create_review", "tags": ["reviews"],
    "summary": "Register an annual report handed in; answers its receipt number.",
    "description": "The organization is found by credit code; a review cycle must exist for "
                   "the year; an organization has one live submission per year (a second one, "
                   "also by a concurrent request, is refused with 409). The first-review "
                   "deadline `due_on` is counted in working days from `received_on`. Every "
                   "problem is reported at once in `fields` (`credit_code`, `year`, "
                   "`received_on`); nothing is stored on any error.",
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": ref("ReviewInput")}}},
    "responses": {
        "201": {**json_response("Registered, waiting for review.", ref("Review")),
                "headers": {"Location": {"description": "URL of the new submission.",
                                         "schema": {"type": "string"}}}},
        **errors(400, 403, 409, 413, 422),
    },
})
add_path("/reviews/{submission_id}", "get", {
    "operationId": "get_review", "tags": ["reviews"],
    "summary": "One submission as staff see it.",
    "parameters": [SUBMISSION_ID],
    "responses": {"200": json_response("The submission.", ref("Review")), **errors(403, 404)},
})
add_path("/reviews/status", "get", {
    "operationId": "review_status", "tags": ["reviews"],
    "summary": "Public status lookup by credit code and receipt number (no token).",
    "description": "A wrong pair answers exactly like an unknown receipt number: 404 with the "
                   "same message. Lookups are limited per client address (429). A malformed "
                   "credit code or receipt number is a 400 naming the parameter (it is not "
                   "counted towards the limit).",
    "security": [],
    "parameters": [
        {**query_parameter("credit_code", {"type": "string"},
                           "Unified social credit code (18 characters)."), "required": True},
        {**query_parameter("receipt_no", {"type": "string"},
                           "Receipt number from the intake receipt (case and spaces ignored)."),
         "required": True}],
    "responses": {
        "200": json_response("The report's progress.", ref("ReviewStatus")),
        "400": {"$ref": "#/components/responses/400"},
        "404": {"description": "No report for this pair (unknown, wrong pair or withdrawn): "
                               "error code `not_found`.", "content": ERROR},
        "429": THROTTLED_RESPONSE,
        "500": {"$ref": "#/components/responses/500"},
    },
})
add_path("/reviews/claim", "post", {
    "operationId": "claim_review", "tags": ["reviews"],
    "summary": "Claim the next item: the waiting one due first (the caller's assignments first).",
    "description": "Atomic: reviewers claiming at the same moment never get the same item. "
                   "No request body is needed.",
    "responses": {"200": json_response("The claimed item, now `in_review`.", ref("Review")),
                  "204": {"description": "Nothing is waiting."},
                  **errors(403)},
})
add_path("/reviews/{submission_id}/return", "post", {
    "operationId": "return_review", "tags": ["reviews"],
    "summary": "Return the item for correction with checklist reasons and a comment.",
    "description": HELD + " At least one known reason code is required (422 on `reasons`). "
                   "The organization gets the cycle's correction days (`correction_due_on`); "
                   "the center's clock stops until it resubmits.",
    "parameters": [SUBMISSION_ID],
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": ref("ReturnInput")}}},
    "responses": {"200": json_response("The item, now `returned`.", ref("Review")),
                  **errors(400, 403, 404, 409, 413, 422)},
})
add_path("/reviews/{submission_id}/pass", "post", {
    "operationId": "pass_review", "tags": ["reviews"],
    "summary": "Pass the item (optionally with a comment).",
    "description": HELD + " Passing twice answers 409.",
    "parameters": [SUBMISSION_ID],
    "requestBody": {"required": False,
                    "content": {"application/json": {"schema": ref("PassInput")}}},
    "responses": {"200": json_response("The item, now `passed`.", ref("Review")),
                  **errors(400, 403, 404, 409, 413, 422)},
})
