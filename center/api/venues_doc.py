"""OpenAPI description of the venue and booking routes in center/api/venues.py.

Who may call each operation is added from the route declarations (`x-roles`).
"""
from center.api.openapi import (DOCUMENT, add_path, add_schema, enum_schema, errors,
                                json_response, page_of, page_parameters, query_parameter, ref)
from center.api.venues import EXAMPLE, REASON_MAX, TITLE_MAX
from center.models.venues import BOOKING_STATE_LABELS, BookingState

NULLABLE_STRING = {"type": ["string", "null"]}
LOCAL_TIME = {"type": "string", "format": "date-time",
              "description": "ISO 8601 with offset, in the center's time zone (+08:00)."}
CLOCK = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$",
         "description": "Local time of day, HH:MM."}
CONFLICT_CODE = "booking_conflict"

# The error shape lists every code an answer may carry; an overlap has its own.
_codes = DOCUMENT["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
_codes["enum"] = sorted({*_codes["enum"], CONFLICT_CODE})

add_schema("BookingState", enum_schema(BookingState, BOOKING_STATE_LABELS))
add_schema("VenueHours", {
    "type": "object", "required": ["weekday", "opens", "closes"],
    "properties": {"weekday": {"type": "integer", "minimum": 0, "maximum": 6,
                               "description": "0 = Monday … 6 = Sunday."},
                   "opens": CLOCK, "closes": CLOCK},
})
add_schema("Venue", {
    "type": "object",
    "required": ["id", "name", "location", "capacity", "equipment", "requires_approval",
                 "min_lead_minutes", "max_length_minutes", "horizon_days", "monthly_quota",
                 "hours"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "location": NULLABLE_STRING,
        "capacity": {"type": "integer", "minimum": 1, "description": "Most attendees."},
        "equipment": NULLABLE_STRING,
        "requires_approval": {"type": "boolean",
                              "description": "Bookings wait as `pending` for a manager."},
        "min_lead_minutes": {"type": "integer", "minimum": 0,
                             "description": "A booking starts at least this long after it is "
                                            "made."},
        "max_length_minutes": {"type": "integer", "minimum": 1},
        "horizon_days": {"type": "integer", "minimum": 1,
                         "description": "How many days ahead a booking may start."},
        "monthly_quota": {"type": ["integer", "null"], "minimum": 1,
                          "description": "Bookings per organization per calendar month; null: "
                                         "no limit."},
        "hours": {"type": "array", "items": ref("VenueHours"),
                  "description": "Opening hours per weekday; a weekday not listed is closed. "
                                 "Closed on statutory holidays, open on make-up workdays "
                                 "(调休, with the weekday's hours, else Monday's)."},
    },
})
add_schema("Booking", {
    "type": "object",
    "required": ["id", "venue_id", "organization_id", "title", "start", "end", "attendees",
                 "status", "status_label"],
    "properties": {
        "id": {"type": "integer"}, "venue_id": {"type": "integer"},
        "organization_id": {"type": "integer"}, "title": {"type": "string"},
        "start": LOCAL_TIME, "end": LOCAL_TIME, "attendees": {"type": "integer", "minimum": 1},
        "status": ref("BookingState"),
        "status_label": {"type": "string", "description": "The state's label, translated."},
    },
})
add_schema("BookingBusy", {
    "type": "object", "additionalProperties": False,
    "required": ["id", "venue_id", "start", "end", "status"],
    "description": "Another organization's booking as an organization user sees it: the time "
                   "is taken, without its title or organization.",
    "properties": {"id": {"type": "integer"}, "venue_id": {"type": "integer"},
                   "start": LOCAL_TIME, "end": LOCAL_TIME, "status": ref("BookingState")},
})
add_schema("BookingListItem", {"anyOf": [ref("Booking"), ref("BookingBusy")]})
add_schema("BookingInput", {
    "type": "object",
    "required": ["venue_id", "title", "start", "end", "attendees"],
    "properties": {
        "venue_id": {"type": "integer", "minimum": 1},
        "organization_id": {"type": "integer", "minimum": 1,
                            "description": "Required for staff. An organization user books for "
                                           "their own organization: leave it out (or give "
                                           "their own; another is refused with 403)."},
        "title": {"type": "string", "maxLength": TITLE_MAX, "description": "The purpose."},
        "start": {"type": "string", "format": "date-time", "examples": [EXAMPLE],
                  "description": "ISO 8601 with an offset (+08:00 or Z); a time without one "
                                 "is refused (422), never guessed."},
        "end": {"type": "string", "format": "date-time",
                "description": "Exclusive: a booking ending at 10:00 and one starting at 10:00 "
                               "do not overlap."},
        "attendees": {"type": "integer", "minimum": 1,
                      "description": "At most the venue's capacity."},
    },
})
add_schema("CancelInput", {
    "type": "object",
    "properties": {"reason": {"type": "string", "maxLength": REASON_MAX}},
})
for name in ("Venue", "BookingListItem"):
    add_schema(f"{name}Page", page_of(name))

BOOKING_ID = {"name": "booking_id", "in": "path", "required": True,
              "schema": {"type": "integer"}}
PERIOD = ("A date (a whole day in center time) or an ISO 8601 date and time with offset; "
          "anything else is refused with 400.")

add_path("/venues", "get", {
    "operationId": "list_venues", "tags": ["venues"],
    "summary": "Bookable venues with their rules and opening hours; archived ones are left out.",
    "parameters": page_parameters(),
    "responses": {"200": json_response("One page, ordered by name.", ref("VenuePage")),
                  **errors(400)},
})
add_path("/bookings", "get", {
    "operationId": "list_bookings", "tags": ["venues"],
    "summary": "Bookings overlapping a period, ordered by start.",
    "description": "Staff see every booking in full. An organization user sees their own "
                   "organization's bookings in full (any state) and other organizations' live "
                   "bookings (pending, held, approved, checked in) as `BookingBusy`: only "
                   "that the time is taken.",
    "parameters": [
        query_parameter("venue_id", {"type": "integer", "minimum": 1}, "Only this venue."),
        query_parameter("from", {"type": "string"}, "Only bookings ending after this. "
                        + PERIOD + " A date means from its start."),
        query_parameter("to", {"type": "string"}, "Only bookings starting before this. "
                        + PERIOD + " A date means through its end (inclusive)."),
        query_parameter("status", ref("BookingState"), "Only this state."),
        *page_parameters()],
    "responses": {"200": json_response("One page.", ref("BookingListItemPage")),
                  **errors(400, 403)},
})
add_path("/bookings", "post", {
    "operationId": "create_booking", "tags": ["venues"],
    "summary": "Book a venue: `approved` at once, or `pending` when the venue requires "
               "approval.",
    "description": "Every rule is checked: end after start, in the future and at least the "
                   "lead time ahead, within the horizon and the longest length, within opening "
                   "hours on an open day (not a statutory holiday or blackout), attendees within "
                   "capacity, the organization's monthly quota. Broken rules answer 422 with "
                   "`fields` (`start`, `end`, `attendees`, …). Nothing is stored on any error.",
    "requestBody": {"required": True,
                    "content": {"application/json": {"schema": ref("BookingInput")}}},
    "responses": {
        "201": {**json_response("Booked.", ref("Booking")),
                "headers": {"Location": {"description": "URL of the new booking.",
                                         "schema": {"type": "string"}}}},
        **errors(400, 403, 404, 413, 422),
        "409": json_response(
            "The time overlaps a live booking of the venue: error code `booking_conflict`; "
            "the message names the booking in the way (for an organization user, another "
            "organization's booking only by its time).", ref("Error")),
    },
})
add_path("/bookings/{booking_id}", "get", {
    "operationId": "get_booking", "tags": ["venues"],
    "summary": "One booking. Another organization's booking is 404 for an organization user.",
    "parameters": [BOOKING_ID],
    "responses": {"200": json_response("The booking.", ref("Booking")), **errors(403, 404)},
})
add_path("/bookings/{booking_id}/cancel", "post", {
    "operationId": "cancel_booking", "tags": ["venues"],
    "summary": "Cancel a booking; its time is offered to the waitlist.",
    "description": "The body is optional. A state that cannot be cancelled (already cancelled, "
                   "rejected, checked in, …) answers 422 naming the state; 409 when someone "
                   "else changed the booking at the same moment. Another organization's "
                   "booking is 404 for an organization user.",
    "parameters": [BOOKING_ID],
    "requestBody": {"required": False,
                    "content": {"application/json": {"schema": ref("CancelInput")}}},
    "responses": {"200": json_response("The cancelled booking.", ref("Booking")),
                  **errors(400, 403, 404, 409, 422)},
})
