"""OpenAPI description of the platform-post and match routes in center/api/liaison.py.

Who may call each operation is added from the route declarations (`x-roles`).
"""
from center.api.liaison import DEFAULT_RANKED, MAX_NOTE, MAX_RANKED
from center.api.openapi import (add_path, add_schema, enum_schema, errors, json_response,
                                page_of, page_parameters, query_parameter, ref)
from center.models.liaison import (CATEGORY_LABELS, KIND_LABELS, MATCH_STATE_LABELS,
                                   POST_STATE_LABELS, MatchState, PostCategory, PostKind,
                                   PostState)
from center.services.liaison import MAX_QUANTITY, MAX_TEXT, MAX_TITLE

NULLABLE_STRING = {"type": ["string", "null"]}
TIMESTAMP = {"type": "string", "format": "date-time", "description": "ISO 8601 with offset (UTC)."}
NULLABLE_TIMESTAMP = {**TIMESTAMP, "type": ["string", "null"]}
NULLABLE_DAY = {"type": ["string", "null"], "format": "date", "examples": ["2026-03-15"]}
DAY_INPUT = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
             "examples": ["2026-03-15"]}

add_schema("PostKind", enum_schema(PostKind, KIND_LABELS))
add_schema("PostCategory", enum_schema(PostCategory, CATEGORY_LABELS))
add_schema("PostStatus", enum_schema(PostState, POST_STATE_LABELS))
add_schema("MatchStatus", enum_schema(MatchState, MATCH_STATE_LABELS))
add_schema("PlatformPost", {
    "type": "object",
    "required": ["id", "kind", "kind_label", "category", "category_label", "title",
                 "description", "quantity", "starts_on", "ends_on", "expires_on", "status",
                 "status_label", "platform_id", "platform_name", "region_code", "region_name",
                 "contact_name", "contact_phone", "published_at", "closed_at", "created_at"],
    "properties": {
        "id": {"type": "integer"},
        "kind": ref("PostKind"), "kind_label": {"type": "string"},
        "category": ref("PostCategory"), "category_label": {"type": "string"},
        "title": {"type": "string"}, "description": NULLABLE_STRING,
        "quantity": {"type": ["integer", "null"], "minimum": 1},
        "starts_on": {**NULLABLE_DAY, "description": "First day of the time window it concerns."},
        "ends_on": {**NULLABLE_DAY, "description": "Last day of the window (inclusive)."},
        "expires_on": {**NULLABLE_DAY, "description": "Leaves the board after this day."},
        "status": ref("PostStatus"), "status_label": {"type": "string"},
        "platform_id": {"type": "integer"}, "platform_name": {"type": "string"},
        "region_code": {"type": "string", "description": "Administrative code (行政区划代码)."},
        "region_name": {"type": "string"},
        "contact_name": NULLABLE_STRING, "contact_phone": NULLABLE_STRING,
        "published_at": NULLABLE_TIMESTAMP, "closed_at": NULLABLE_TIMESTAMP,
        "created_at": TIMESTAMP,
    },
})
add_schema("PlatformPostInput", {
    "type": "object",
    "required": ["kind", "category", "title"],
    "description": "A need or an offer. A platform's token posts for its own platform; the "
                   "center's staff give `platform_id`. Text is stored as typed and may not "
                   "contain control characters.",
    "properties": {
        "kind": ref("PostKind"), "category": ref("PostCategory"),
        "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE},
        "description": {"type": "string", "maxLength": MAX_TEXT},
        "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY,
                     "description": "A JSON number (people, hours, places …)."},
        "starts_on": DAY_INPUT,
        "ends_on": {**DAY_INPUT, "description": "Not before `starts_on`."},
        "expires_on": {**DAY_INPUT, "description": "Leaves the board after this day."},
        "region_code": {"type": "string", "description": "Where it is; default: the "
                                                         "platform's own region."},
        "contact_name": {"type": "string", "maxLength": 50},
        "contact_phone": {"type": "string", "maxLength": 30},
        "publish": {"type": "boolean", "default": False,
                    "description": "true: published at once (city-wide); false: a draft only "
                                   "the platform and the center see."},
        "platform_id": {"type": "integer", "minimum": 1,
                        "description": "Center staff only (required for them); a platform "
                                       "token giving another platform's id is refused (403)."},
    },
})
add_schema("PlatformPostPage", page_of("PlatformPost"))
add_schema("MatchReason", {
    "type": "object", "required": ["code", "value"],
    "properties": {
        "code": {"type": "string",
                 "enum": ["street", "district", "city", "overlap", "anytime", "text"],
                 "description": "street / district / city: the offer is in the need's street, "
                                "its district, elsewhere in the city; overlap: the windows "
                                "overlap `value` days; anytime: a window is not bounded; text: "
                                "title and description are `value` percent similar."},
        "value": {"type": ["integer", "null"], "minimum": 0,
                  "description": "Days (overlap), percent (text); null for the others."},
    },
})
add_schema("RankedOffer", {
    "type": "object", "required": ["offer", "score", "reasons", "reason_codes"],
    "properties": {
        "offer": ref("PlatformPost"),
        "score": {"type": "integer", "minimum": 0, "maximum": 100,
                  "description": "Closeness in the region tree (same street 40, same district "
                                 "25, elsewhere 10) + time overlap (up to 30) + text "
                                 "similarity (up to 30)."},
        "reasons": {"type": "array", "items": {"type": "string"},
                    "description": "Why it ranks so, one phrase per part, in the caller's "
                                   "language."},
        "reason_codes": {"type": "array", "items": ref("MatchReason"),
                         "description": "The same reasons, machine-readable."},
    },
})
add_schema("RankedOffers", {
    "type": "object", "required": ["need_id", "items"],
    "properties": {"need_id": {"type": "integer"},
                   "items": {"type": "array", "items": ref("RankedOffer")}},
})
add_schema("MatchSide", {
    "type": "object",
    "required": ["id", "title", "category", "status", "platform_id", "platform_name"],
    "properties": {"id": {"type": "integer"}, "title": {"type": "string"},
                   "category": ref("PostCategory"), "status": ref("PostStatus"),
                   "platform_id": {"type": "integer"}, "platform_name": {"type": "string"}},
})
add_schema("Match", {
    "type": "object",
    "required": ["id", "need", "offer", "status", "status_label", "score", "reason",
                 "reason_codes", "proposed_by", "proposed_by_platform_id", "note", "outcome",
                 "created_at", "decided_at", "completed_at"],
    "properties": {
        "id": {"type": "integer"}, "need": ref("MatchSide"), "offer": ref("MatchSide"),
        "status": ref("MatchStatus"), "status_label": {"type": "string"},
        "score": {"type": ["integer", "null"], "minimum": 0, "maximum": 100,
                  "description": "The offer's rank score for the need when proposed."},
        "reason": {**NULLABLE_STRING,
                   "description": "Why the offer ranked so when proposed, in the caller's "
                                  "language (a match stored before reasons were kept "
                                  "language-neutral: its text as recorded)."},
        "reason_codes": {"type": ["array", "null"], "items": ref("MatchReason"),
                         "description": "The same reasons, machine-readable; null when the "
                                        "match has none or only an old recorded text."},
        "proposed_by": {"type": "string", "enum": ["platform", "center"]},
        "proposed_by_platform_id": {"type": ["integer", "null"]},
        "note": NULLABLE_STRING, "outcome": NULLABLE_STRING,
        "created_at": TIMESTAMP, "decided_at": NULLABLE_TIMESTAMP,
        "completed_at": NULLABLE_TIMESTAMP,
    },
})
add_schema("MatchInput", {
    "type": "object", "required": ["need_id", "offer_id"],
    "properties": {"need_id": {"type": "integer", "minimum": 1},
                   "offer_id": {"type": "integer", "minimum": 1},
                   "note": {"type": "string", "maxLength": MAX_NOTE}},
})
add_schema("MatchOutcome", {
    "type": "object",
    "properties": {"outcome": {"type": "string", "maxLength": MAX_NOTE,
                               "description": "What came of it (decline and complete)."}},
})

POST_ID = {"name": "post_id", "in": "path", "required": True, "schema": {"type": "integer"}}
MATCH_ID = {"name": "match_id", "in": "path", "required": True, "schema": {"type": "integer"}}
ACCESS = ("Another platform's draft answers 404; another platform's published post can be read "
          "but not changed (403).")

add_path("/platform-posts", "get", {
    "operationId": "list_platform_posts", "tags": ["liaison"],
    "summary": "Needs and offers the caller may see, newest first.",
    "description": "Published posts city-wide, plus, for a platform's token, its own drafts "
                   "(the center's staff see every draft).",
    "parameters": [
        query_parameter("kind", ref("PostKind"), "Only needs or only offers."),
        query_parameter("category", ref("PostCategory"), "Only this category."),
        query_parameter("region", {"type": "string", "examples": ["110105"]},
                        "A region code: posts in this region and the regions under it "
                        "(a district's streets). An unknown code answers 400."),
        query_parameter("status", ref("PostStatus"), "Only this status."),
        query_parameter("platform_id", {"type": "integer", "minimum": 1},
                        "Only this platform's posts."),
        *page_parameters()],
    "responses": {"200": json_response("One page.", ref("PlatformPostPage")),
                  **errors(400, 403)},
})
add_path("/platform-posts", "post", {
    "operationId": "create_platform_post", "tags": ["liaison"],
    "summary": "Post a need or an offer (a draft, or published with `publish: true`).",
    "description": "Every problem is reported at once in `fields` (422): an unknown kind or "
                   "category, no title, text too long or with control characters, a quantity "
                   "that is not a positive JSON integer, a date not YYYY-MM-DD, a window that "
                   "ends before it starts, an unknown region code, a `publish` that is not a "
                   "boolean. Nothing is stored on any error.",
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": ref("PlatformPostInput")}}},
    "responses": {
        "201": {**json_response("Stored; `id` and `status` (draft or published).",
                                ref("PlatformPost")),
                "headers": {"Location": {"description": "URL of the new post.",
                                         "schema": {"type": "string"}}}},
        **errors(400, 403, 413, 422)},
})
add_path("/platform-posts/{post_id}", "get", {
    "operationId": "get_platform_post", "tags": ["liaison"],
    "summary": "One need or offer.", "description": ACCESS, "parameters": [POST_ID],
    "responses": {"200": json_response("The post.", ref("PlatformPost")), **errors(403, 404)},
})
for action, summary in (("publish", "Publish a draft on the city-wide board."),
                        ("close", "Close a post (it leaves the board).")):
    add_path(f"/platform-posts/{{post_id}}/{action}", "post", {
        "operationId": f"{action}_platform_post", "tags": ["liaison"],
        "summary": summary, "description": ACCESS + " A wrong status answers 409.",
        "parameters": [POST_ID],
        "responses": {"200": json_response("The post, changed.", ref("PlatformPost")),
                      **errors(403, 404, 409, 422)},
    })
add_path("/platform-posts/{post_id}/matches", "get", {
    "operationId": "ranked_platform_offers", "tags": ["liaison"],
    "summary": "For a need: published offers of its category whose window overlaps, ranked "
               "best first, with `score` (0–100) and the reasons.",
    "parameters": [POST_ID, query_parameter(
        "limit", {"type": "integer", "minimum": 1, "maximum": MAX_RANKED,
                  "default": DEFAULT_RANKED}, "How many offers.")],
    "responses": {"200": json_response("The ranked offers.", ref("RankedOffers")),
                  **errors(400, 403, 404, 422)},
})
add_path("/matches", "post", {
    "operationId": "create_match", "tags": ["liaison"],
    "summary": "Propose a match of a need and an offer (by the platform of either, or the "
               "center); the other side is notified.",
    "description": "A post the caller may not see answers 404; two posts of other platforms "
                   "403; a post not published, or a live match of the same pair, 409.",
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": ref("MatchInput")}}},
    "responses": {
        "201": {**json_response("Proposed.", ref("Match")),
                "headers": {"Location": {"description": "URL of the new match.",
                                         "schema": {"type": "string"}}}},
        **errors(400, 403, 404, 409, 422)},
})
add_path("/matches/{match_id}", "get", {
    "operationId": "get_match", "tags": ["liaison"],
    "summary": "One match; seen by both platforms and the center (others: 404).",
    "parameters": [MATCH_ID],
    "responses": {"200": json_response("The match.", ref("Match")), **errors(403, 404)},
})
for action, summary in (
        ("accept", "Accept: only the side that did not propose (a match the center proposed: "
                   "the offer's platform). Anyone else who sees it: 403."),
        ("decline", "Decline a proposed or accepted match, optionally with an `outcome`."),
        ("complete", "Complete an accepted match, optionally with an `outcome`.")):
    add_path(f"/matches/{{match_id}}/{action}", "post", {
        "operationId": f"{action}_match", "tags": ["liaison"], "summary": summary,
        "description": "A match of two other platforms answers 404; a wrong status 409.",
        "parameters": [MATCH_ID],
        "requestBody": {"required": False,
                        "content": {"application/json": {"schema": ref("MatchOutcome")}}},
        "responses": {"200": json_response("The match, changed.", ref("Match")),
                      **errors(400, 403, 404, 409, 422)},
    })
