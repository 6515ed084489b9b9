"""The OpenAPI 3.1 document of the JSON API (web/api.py), served at `GET /api/openapi.json`.

It is what a client's developer reads and what a scanner such as schemathesis generates requests from, so it says
what the code does, not what it might: the body's limits are web/api.py's own constants, the page size mirrors
callbot.lead_segments.listing, and every status a route can answer is listed (tests/web/test_api_scan.py fails on any
other, and on any 5xx). Built as a dict once per process.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import phonenumbers

from callbot import intake
from scoring.segments import LIFECYCLES, RELATIONSHIPS, VALUE_TIERS
from web import api

VERDICTS = ("ok", "suspect", "junk", "duplicate", "blocked")
PAGE_LIMIT = 500  # callbot.lead_segments.listing clamps ?limit= to 1…500
PAGE_DEFAULT = 100
JSON = "application/json"
NO_NUL = r"^[^\x00]*$"
EXAMPLE = {
    "campaign": "Tháng 12",
    "leads": [
        {
            "name": "Trần Thị Mai",
            "phone": "0912 345 678",
            "email": "mai@gmail.com",
            "service": "khóa học tiếng Anh",
            "source": "facebook",
            "registered_at": "2026-11-25T09:41:00+07:00",
            "utm_campaign": "t12",
        }
    ],
}


def _error(description: str, codes: tuple[str, ...], *, challenge: bool = False) -> dict[str, Any]:
    """A documented error answer: the shared {error, message} body, the codes it may carry, and for 401/403 the
    WWW-Authenticate challenge every such answer has."""
    answer: dict[str, Any] = {
        "description": description + " (`error`: " + ", ".join(f"`{code}`" for code in codes) + ")",
        "content": {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if challenge:
        answer["headers"] = {
            "WWW-Authenticate": {
                "description": 'The bearer challenge: `Bearer realm="callbot"`, with `error` and `scope` when known',
                "required": True,
                "schema": {"type": "string"},
            }
        }
    return answer


def _auth_errors(scope: str) -> dict[str, Any]:
    return {
        "401": _error(
            "No `Authorization: Bearer` header, another scheme, or an unknown, malformed or revoked token",
            ("invalid_token",),
            challenge=True,
        ),
        "403": _error(f"A valid token without the `{scope}` scope", ("insufficient_scope",), challenge=True),
    }


def _text(max_length: int) -> dict[str, Any]:
    """A string as the API takes it: at most `max_length` characters, no NUL (PostgreSQL cannot store one)."""
    return {"type": "string", "maxLength": max_length, "pattern": NO_NUL}


def _cell(description: str, max_length: int = api.MAX_VALUE_CHARS) -> dict[str, Any]:
    """A lead field: a string, a number (read as a spreadsheet cell holding it) or null (empty)."""
    return {
        "description": description,
        "anyOf": [_text(max_length), {"type": "number"}, {"type": "null"}],
    }


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document (one dict per process: callers must not change it)."""
    lead = {
        "type": "object",
        "description": (
            "A lead: `phone` and any other keys, read like a lead file's headers (so `so_dien_thoai` or `Họ tên` are "
            "understood too; the names below win). Keys not naming a field are kept as extra columns. At most "
            f"{api.MAX_KEYS} different keys across all the leads of a request (more is 400)."
        ),
        "required": ["phone"],
        "maxProperties": api.MAX_KEYS,
        # not blank, no NUL
        "propertyNames": {"minLength": 1, "maxLength": api.MAX_KEY_CHARS, "pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"},
        "properties": {
            "phone": {
                "description": "The number in any format people type; a lead with an unusable one is stored as junk",
                "anyOf": [_text(api.MAX_VALUE_CHARS), {"type": "number"}],
            },
            "name": _cell(
                f"The person's name (at most {api.MAX_NAME_CHARS} characters once cleaned, else 400)",
                api.MAX_NAME_CHARS,
            ),
            "email": _cell("E-mail address"),
            "service": _cell("The service the person asked about"),
            "source": _cell("Where the lead came from: facebook, instagram, google, zalo, tiktok, web or anything"),
            "registered_at": _cell(
                "When the person registered: ISO 8601 or dd/mm/yyyy hh:mm (the campaign's time zone when none is "
                f"given); a year outside {intake.MIN_YEAR}–{intake.MAX_YEAR} is 400, an unreadable time is ignored"
            ),
        },
        "additionalProperties": _cell(
            f"Any other column, strings of at most {api.MAX_VALUE_CHARS} characters; no NUL characters anywhere"
        ),
    }
    post_request = {
        "type": "object",
        "required": ["campaign"],
        "oneOf": [{"required": ["leads"]}, {"required": ["lead"]}],
        "additionalProperties": False,
        "properties": {
            "campaign": {
                "description": "The campaign's name or id (a draft, scheduled, running or paused one)",
                "anyOf": [
                    {**_text(200), "minLength": 1, "description": "Surrounding spaces ignored"},
                    {"type": "integer"},
                ],
            },
            "leads": {
                "type": "array",
                "minItems": 1,
                "maxItems": api.MAX_LEADS,
                "items": {"$ref": "#/components/schemas/Lead"},
                "description": f"1 to {api.MAX_LEADS} leads (more is 413); give this or `lead`",
            },
            "lead": {"$ref": "#/components/schemas/Lead"},
            "region": {
                "type": "string",
                "enum": sorted(phonenumbers.SUPPORTED_REGIONS),
                "default": "VN",
                "description": "The country of numbers written without one (case-insensitive); an unknown one is 400",
            },
        },
    }
    posted = {
        "type": "object",
        "required": ["campaign_id", "batch", "leads"],
        "properties": {
            "campaign_id": {"type": "integer"},
            "batch": {"type": "string", "description": "The upload id the panel shows"},
            "leads": {
                "type": "array",
                "description": "One result per lead, in the order sent",
                "items": {
                    "type": "object",
                    "required": ["id", "verdict", "phone_e164", "reasons"],
                    "properties": {
                        "id": {"type": "integer"},
                        "verdict": {"type": "string", "enum": list(VERDICTS)},
                        "phone_e164": {"type": ["string", "null"]},
                        "reasons": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    }
    segment = {"type": ["string", "null"], "description": "null until the segments are computed"}
    page = {
        "type": "object",
        "required": ["leads", "next_after"],
        "properties": {
            "leads": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "id",
                        "campaign",
                        "status",
                        "score",
                        "tier",
                        "value_tier",
                        "relationship",
                        "lifecycle",
                        "model_reasons",
                    ],
                    "properties": {
                        "id": {"type": "integer"},
                        "campaign": {"type": "integer"},
                        "status": {"type": "string"},
                        "score": {"type": "integer"},
                        "tier": {"type": "string"},
                        "value_tier": {**segment, "enum": [*VALUE_TIERS, None]},
                        "relationship": {**segment, "enum": [*RELATIONSHIPS, None]},
                        "lifecycle": {**segment, "enum": [*LIFECYCLES, None]},
                        "model_reasons": {
                            "type": "array",
                            "description": "The learned model's reasons, strongest first",
                            "items": {
                                "type": "object",
                                "properties": {"feature": {"type": "string"}, "effect": {"type": "number"}},
                            },
                        },
                    },
                },
            },
            "next_after": {
                "type": ["integer", "null"],
                "description": "Pass as `after` for the next page; null on the last page",
            },
        },
    }

    def segment_filter(name: str, values: tuple[str, ...]) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "description": "Only leads in this segment; any other value is ignored",
            "schema": {"type": "string", "enum": list(values)},
        }

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "callbot JSON API",
            "version": "1",
            "description": (
                "Add leads to a campaign as they arrive, and read leads with their scores and segments. Every request "
                "carries `Authorization: Bearer <token>` (`callbot tokens create`); every answer is JSON. "
                "See docs/api.md."
            ),
        },
        "paths": {
            "/api/leads": {
                "post": {
                    "operationId": "postLeads",
                    "summary": "Add one lead or a batch of leads to a campaign",
                    "description": (
                        "The leads go through the same intake as a file import; each is stored with its verdict. "
                        "The token is checked before the body; on any error nothing is stored."
                    ),
                    "security": [{"bearerAuth": [api.SCOPE]}],
                    "requestBody": {
                        "required": True,
                        "content": {JSON: {"schema": {"$ref": "#/components/schemas/PostLeads"}, "example": EXAMPLE}},
                    },
                    "responses": {
                        "201": {
                            "description": "Stored: each lead's id, verdict, number and reasons",
                            "content": {JSON: {"schema": {"$ref": "#/components/schemas/PostedLeads"}}},
                        },
                        "400": _error("The body is empty, not JSON, or not of the documented shape", ("bad_request",)),
                        **_auth_errors(api.SCOPE),
                        "404": _error("No campaign with that name or id", ("campaign_not_found",)),
                        "409": _error("The campaign is completed and takes no more leads", ("campaign_completed",)),
                        "413": _error(
                            f"More than {api.MAX_LEADS} leads, or a body over 20 MB",
                            ("too_many_leads", "request_entity_too_large"),
                        ),
                    },
                },
                "get": {
                    "operationId": "listLeads",
                    "summary": "Leads with score, tier and segments, by id, a page at a time",
                    "security": [{"bearerAuth": ["leads:read"]}],
                    "parameters": [
                        {
                            "name": "campaign",
                            "in": "query",
                            "required": False,
                            "description": "Only this campaign's leads; anything but digits is ignored",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                        segment_filter("value_tier", VALUE_TIERS),
                        segment_filter("relationship", RELATIONSHIPS),
                        segment_filter("lifecycle", LIFECYCLES),
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "description": "Leads per page; a number out of range is clamped, anything else ignored",
                            "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_LIMIT, "default": PAGE_DEFAULT},
                        },
                        {
                            "name": "after",
                            "in": "query",
                            "required": False,
                            "description": "Only leads with a larger id (the previous page's `next_after`)",
                            "schema": {"type": "integer", "default": 0},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of leads",
                            "content": {JSON: {"schema": {"$ref": "#/components/schemas/LeadPage"}}},
                        },
                        **_auth_errors("leads:read"),
                    },
                },
            },
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapiDocument",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "The OpenAPI document", "content": {JSON: {"schema": {}}}}},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": (
                        f"An API token (`callbot tokens create`); scopes: `{api.SCOPE}` for POST /api/leads, "
                        "`leads:read` for GET /api/leads"
                    ),
                }
            },
            "schemas": {
                "Lead": lead,
                "PostLeads": post_request,
                "PostedLeads": posted,
                "LeadPage": page,
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string", "description": "A stable code"},
                        "message": {"type": "string", "description": "What is wrong, for the client's developer"},
                    },
                },
            },
        },
    }
