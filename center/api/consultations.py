"""Consultations (咨询辅导): log one, list and search them (documented in consultations_doc.py).

The input goes through the same validation as the quick-entry form
(`center.services.consultations.validated`); this module adds what only JSON can get wrong
(types: a number as a string, a single topic instead of a list) and the API's contract that a
consultation names its requester once, either `organization_id` or `requester_name`. Every
problem of a request is reported at once, per field, and nothing is stored.
"""
import re
from datetime import date

from flask import g, jsonify, request, url_for
from flask_babel import gettext as _

from center.api import api
from center.api.common import (BadRequest, iso, json_object, page_args, query_choice,
                               query_text)
from center.api.venues import local_iso, parse_instant, query_id
from center.auth import roles
from center.extensions import db
from center.models.consultations import CHANNEL_LABELS, STATE_LABELS, Consultation
from center.reports.consultations import (ConsultationFilter, consultation_query, count_matches,
                                          members_checked_for)
from center.services import consultations
from center.services.consultations import CHANNELS, STATES, TOPICS
from center.services.errors import NotFoundError, ValidationError

CONSULTATION_STAFF = ("admin", "manager", "frontdesk")  # as the pages: they log and read them
TEXT_INPUT = ("channel", "requester_name", "requester_phone", "question", "answer", "state",
              "follow_up_on")
MAX_QUERY = 100
# A list counts at most this many matches: at 200,000 consultations an exact count of a broad
# filter costs more than the page itself, and nobody pages through ten thousand rows.
COUNT_CAP = 10_000
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TOPIC_ORDER = {code: n for n, code in enumerate(TOPICS)}


# --- representation --------------------------------------------------------------------------

def consultation_item(c: Consultation) -> dict:
    return {
        "id": c.id, "occurred_at": local_iso(c.occurred_at),
        "channel": c.channel, "channel_label": str(CHANNEL_LABELS.get(c.channel, c.channel)),
        "organization_id": c.organization_id,
        "organization_name": c.organization.name if c.organization else None,
        "requester_name": c.requester_name, "requester_phone": c.requester_phone,
        "topics": sorted(c.topics, key=lambda code: _TOPIC_ORDER.get(code, len(TOPICS))),
        "question": c.question, "answer": c.answer, "minutes": c.minutes,
        "state": c.state, "state_label": str(STATE_LABELS.get(c.state, c.state)),
        "follow_up_on": c.follow_up_on.isoformat() if c.follow_up_on else None,
        "follow_up_closed_at": iso(c.follow_up_closed_at),
        "follow_up_outcome": c.follow_up_outcome,
        "satisfaction": c.satisfaction, "outcome": c.outcome,
        "evaluated_at": iso(c.evaluated_at),
        "staff_id": c.staff_id, "staff_name": c.staff.display_name if c.staff else None,
        "created_at": iso(c.created_at), "archived_at": iso(c.archived_at),
    }


# --- routes ----------------------------------------------------------------------------------

@api.route("/consultations")
@roles(*CONSULTATION_STAFF)
def list_consultations():
    """Newest first; the filters of the list page, the text search included."""
    first, last = query_date("from"), query_date("to")
    if first and last and last < first:
        raise BadRequest(_("参数 to 不能早于 from。"), {"to": _("不能早于 from。")})
    filters = ConsultationFilter(
        first=first, last=last, topics=query_topics(),
        channel=query_choice("channel", CHANNELS) or "",
        state=query_choice("state", STATES) or "",
        organization_id=query_id("organization_id"), staff_id=query_id("staff_id"),
        q=query_text("q", max_length=MAX_QUERY) or "")
    return jsonify(capped_page(db.session, filters))


def capped_page(session, filters: ConsultationFilter) -> dict:
    """One page and a count of at most COUNT_CAP matches (`total_capped` when there are more):
    two index-driven queries (and the related rows), whatever the table size."""
    page, per_page = page_args()
    total = count_matches(session, filters, cap=COUNT_CAP)
    stmt = consultation_query(
        filters, members_checked=members_checked_for(session, filters, capped=total > COUNT_CAP))
    rows = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [consultation_item(c) for c in rows], "total": min(total, COUNT_CAP),
            "total_capped": total > COUNT_CAP, "page": page, "per_page": per_page}


@api.route("/consultations/<int:consultation_id>")
@roles(*CONSULTATION_STAFF)
def get_consultation(consultation_id):
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFoundError(_("找不到这条咨询。"))
    return jsonify(consultation_item(consultation))


@api.route("/consultations", methods=["POST"])
@roles(*CONSULTATION_STAFF)
def create_consultation():
    data, problems = consultation_input(json_object())
    if problems:  # the service's findings too, so the client learns everything at once
        try:
            consultations.validated(db.session, data)
        except ValidationError as error:
            problems = {**error.fields, **problems}
        raise ValidationError(_("请更正标出的内容。"), problems)
    consultation = consultations.log_consultation(db.session, data, actor=g.user)
    item = consultation_item(consultation)  # before the commit expires it
    db.session.commit()
    response = jsonify(item)
    response.headers["Location"] = url_for("api.get_consultation",
                                           consultation_id=consultation.id)
    return response, 201


# --- input -----------------------------------------------------------------------------------

def consultation_input(body: dict) -> tuple[dict, dict]:
    """The service's data dict from the JSON body (well-typed values only) and the problems
    only the API sees: wrong JSON types and a requester named twice."""
    data, problems = {}, {}
    readers = {key: _string for key in TEXT_INPUT}
    readers.update(organization_id=_id, topics=_topic_list, minutes=_integer,
                   occurred_at=parse_instant)
    for key, read in readers.items():
        if body.get(key) is None:
            continue
        value, problem = read(body[key])
        if problem:
            problems[key] = problem
        else:
            data[key] = value
    if body.get("organization_id") is not None:
        for key in ("requester_name", "requester_phone"):
            if isinstance(body.get(key), str) and body[key].strip():
                problems[key] = _("已给出 organization_id：组织的咨询不填个人咨询者，二者只给一个。")
    return data, problems


def _string(value) -> tuple[str | None, str | None]:
    return (value, None) if isinstance(value, str) else (None, _("应为字符串。"))


def _id(value) -> tuple[int | None, str | None]:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**31:
        return None, _("应为正整数编号。")
    return value, None


def _integer(value) -> tuple[int | None, str | None]:
    if isinstance(value, bool) or not isinstance(value, int):
        return None, _("应为整数（分钟）。")
    return value, None


def _topic_list(value) -> tuple[list | None, str | None]:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        return None, _("应为主题代码的列表，例如 [\"policy\", \"finance\"]。")
    return value, None


def query_date(name: str) -> date | None:
    """A date parameter, YYYY-MM-DD (the center's calendar day)."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if _DATE.fullmatch(raw):
            return date.fromisoformat(raw)
    except ValueError:  # 2026-02-30
        pass
    raise BadRequest(_("参数 %(name)s 应为日期 YYYY-MM-DD，例如 2026-03-15。", name=name),
                     {name: _("日期格式应为 YYYY-MM-DD，例如 2026-03-15。")})


def query_topics() -> list[str]:
    """`topic`, repeatable: consultations with any of these topics."""
    codes = [code.strip() for code in request.args.getlist("topic") if code.strip()]
    unknown = [code for code in codes if code not in TOPICS]
    if unknown:
        raise BadRequest(_("参数 %(name)s 只能是：%(codes)s。", name="topic",
                           codes=", ".join(TOPICS)), {"topic": _("未知的取值。")})
    return list(dict.fromkeys(codes))


from center.api import consultations_doc  # noqa: E402,F401  (documents the routes above)
