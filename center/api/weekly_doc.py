"""OpenAPI description of the weekly-report routes in center/api/weekly.py.

Who may call each operation is added from the route declarations (`x-roles`).
"""
from center.api.openapi import add_path, add_schema, enum_schema, errors, json_response, ref
from center.models.weekly import WEEKLY_STATE_LABELS, WeeklyState

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOCAL_TIME = {"type": "string", "format": "date-time",
              "description": "ISO 8601 with offset, in the center's time zone (+08:00)."}
WEEK = {"name": "week", "in": "path", "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]{4}-W[0-9]{2}$",
                   "examples": ["2026-W47"]},
        "description": "ISO week: the ISO year and week number (2024-12-30 is in 2025-W01). "
                       "A week that does not exist (2026-W54, 2025-W53) or has not begun yet "
                       "answers 422 with `fields.week`."}
BAD_WEEK = ("A week that does not exist or has not begun: 422 `validation_error` with "
            "`fields.week`.")

add_schema("WeeklyState", enum_schema(WeeklyState, WEEKLY_STATE_LABELS))
add_schema("WeeklyFigure", {
    "type": "object", "required": ["key", "label", "value", "unit"],
    "properties": {
        "key": {"type": "string", "description": "Stable code, e.g. `consultations`."},
        "label": {"type": "string", "description": "Chinese label (the report's language)."},
        "value": {"type": "number"},
        "previous": {"type": ["number", "null"],
                     "description": "The same figure the week before."},
        "unit": {"type": "string"},
    },
})
add_schema("WeeklyTable", {
    "type": "object", "required": ["title", "columns", "rows"],
    "properties": {"title": {"type": "string"},
                   "columns": {"type": "array", "items": {"type": "string"}},
                   "rows": {"type": "array", "items": {"type": "array",
                                                       "items": {"type": ["string", "number"]}}}},
})
add_schema("WeeklyModule", {
    "type": ["object", "null"],
    "description": "One service line's figures; null when the module is not built yet "
                   "(shown as 尚未上线, never as zero).",
    "required": ["label", "figures", "tables"],
    "properties": {"label": {"type": "string"},
                   "figures": {"type": "array", "items": ref("WeeklyFigure")},
                   "tables": {"type": "array", "items": ref("WeeklyTable")}},
})
add_schema("WeeklyFigures", {
    "type": "object",
    "description": "The week's figures as generated from the records, per service line "
                   "(`consultations`, `venues`, `reviews`, `liaison`) in report order.",
    "properties": {
        "first": {"type": "string", "format": "date"},
        "last": {"type": "string", "format": "date"},
        "generated_at": {"type": "string", "format": "date-time"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "Module code → its Chinese name, in report order."},
        "modules": {"type": "object", "additionalProperties": ref("WeeklyModule")},
    },
})
add_schema("WeeklyReport", {
    "type": "object",
    "required": ["week", "iso_year", "iso_week", "starts_on", "ends_on", "title", "state",
                 "state_label", "figures", "figures_generated_at", "summary", "plan",
                 "plan_prefilled", "submitted_at", "submitted_by", "recipients", "delivery",
                 "versions", "export_url"],
    "properties": {
        "week": {"type": "string", "examples": ["2026-W47"]},
        "iso_year": {"type": "integer"}, "iso_week": {"type": "integer", "minimum": 1,
                                                      "maximum": 53},
        "starts_on": {"type": "string", "format": "date", "description": "Monday."},
        "ends_on": {"type": "string", "format": "date", "description": "Sunday."},
        "title": {"type": "string", "description": "The title on the exported workbook."},
        "state": ref("WeeklyState"), "state_label": {"type": "string"},
        "figures": ref("WeeklyFigures"),
        "figures_generated_at": {**LOCAL_TIME, "type": ["string", "null"]},
        "summary": {"type": "string", "description": "本周工作小结, the manager's text."},
        "plan": {"type": "string", "description": "下周工作计划 as it stands."},
        "plan_prefilled": {"type": "string",
                           "description": "The plan the known facts suggested."},
        "submitted_at": {**LOCAL_TIME, "type": ["string", "null"]},
        "submitted_by": {"type": ["string", "null"]},
        "recipients": {"type": "array", "description": "Fixed at submission; empty before.",
                       "items": {"type": "object", "required": ["role", "name", "email"],
                                 "properties": {"role": {"type": "string"},
                                                "name": {"type": "string"},
                                                "email": {"type": ["string", "null"]}}}},
        "delivery": {"type": ["string", "null"], "enum": ["email", "marked_sent", None]},
        "versions": {"type": "integer", "minimum": 1,
                     "description": "Saved versions (generation, edits, submission)."},
        "export_url": {"type": "string", "description": "The .xlsx of this report."},
    },
})

add_path("/weekly-reports/{week}/generate", "post", {
    "operationId": "generate_weekly_report", "tags": ["weekly"],
    "summary": "Generate the week's figures from the records.",
    "description": "Creates the week's draft when there is none (201), else recomputes its "
                   "figures (200). The narrative is never touched; the plan is refreshed only "
                   "while nobody edited the prefilled text. A version is kept. A submitted "
                   "report is locked: 409. " + BAD_WEEK + " No request body.",
    "parameters": [WEEK],
    "responses": {
        "201": json_response("A new draft with its figures.", ref("WeeklyReport")),
        "200": json_response("The draft with regenerated figures.", ref("WeeklyReport")),
        **errors(403, 409, 422),
    },
})
add_path("/weekly-reports/{week}", "get", {
    "operationId": "get_weekly_report", "tags": ["weekly"],
    "summary": "A week's report: figures, narrative, state.",
    "description": "Supervisors see submitted reports only: a draft answers 404 like a "
                   "missing report. " + BAD_WEEK,
    "parameters": [WEEK],
    "responses": {"200": json_response("The report.", ref("WeeklyReport")),
                  **errors(403, 404, 422)},
})
add_path("/weekly-reports/{week}/export", "get", {
    "operationId": "export_weekly_report", "tags": ["weekly"],
    "summary": "The report as an Excel workbook (.xlsx).",
    "description": "A summary sheet (figures beside last week's, the narrative) and one sheet "
                   "per service line with its tables and a chart; A4 print setup. Built from "
                   "the stored figures, as reviewed. Same access as reading the report. "
                   + BAD_WEEK,
    "parameters": [WEEK],
    "responses": {
        "200": {"description": "The workbook, as an attachment named 工作周报_<week>.xlsx.",
                "content": {XLSX: {"schema": {"type": "string",
                                              "contentMediaType": XLSX}}}},
        **errors(403, 404, 422),
    },
})
