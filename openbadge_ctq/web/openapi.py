"""The OpenAPI 3.1 description of the service's VC API endpoints (served at ``/openapi.json``)."""

from __future__ import annotations

from typing import Any

__all__ = ["openapi_document"]

_PROBLEM = {"$ref": "#/components/schemas/ProblemDetails"}
_RESULT = {"$ref": "#/components/schemas/VerificationResult"}
_OBJECT_OPTIONS = {"type": "object", "description": "VC API options (none are used by this server)"}


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


# Every POST may be refused with 413 (the body size cap, ``--max-upload``) before it reaches its handler, and with
# 415 when its body is not sent as JSON.
_TOO_LARGE = _json(_PROBLEM, "The request body is larger than the server's limit")
_NOT_JSON = _json(_PROBLEM, "The body is not sent as JSON (Content-Type application/json or application/*+json)")
_RATE_LIMITED = _json(
    _PROBLEM,
    "Too many requests from this client",
    headers={"Retry-After": {"required": True, "description": "seconds to wait", "schema": {"type": "string"}}},
)
# A credential or presentation that does not verify gets the verification result; a malformed request, a problem.
_NOT_VERIFIED = {"anyOf": [_RESULT, _PROBLEM]}


def openapi_document() -> dict[str, Any]:
    """A fresh OpenAPI document (a new dict each call)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "openbadge_ctq verification service (VC API)",
            "version": "1.0.0",
            "description": "Verify Open Badges 2.0/3.0 credentials and presentations; issue for the configured issuer.",
        },
        "paths": {
            "/credentials/verify": {
                "post": {
                    "operationId": "verifyCredential",
                    "summary": "Verify a credential",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["verifiableCredential"],
                            "properties": {
                                "verifiableCredential": {
                                    "description": "the credential (JSON), a compact JWT, or its https URL",
                                    "oneOf": [{"type": "object"}, {"type": "string"}],
                                },
                                "options": _OBJECT_OPTIONS,
                            },
                        }
                    ),
                    "responses": {
                        "200": _json(_RESULT, "The credential verified"),
                        "400": _json(_NOT_VERIFIED, "The credential did not verify, or the request is malformed"),
                        "413": _TOO_LARGE,
                        "415": _NOT_JSON,
                        "429": _RATE_LIMITED,
                    },
                }
            },
            "/credentials/issue": {
                "post": {
                    "operationId": "issueCredential",
                    "summary": "Sign a credential for this server's issuer (eddsa-rdfc-2022)",
                    "security": [{"bearer": []}],
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["credential"],
                            "properties": {
                                "credential": {
                                    "type": "object",
                                    "description": "an unsigned OB 3.0 credential whose issuer is this server's",
                                    "not": {"required": ["proof"]},
                                },
                                "options": {
                                    "type": "object",
                                    "properties": {
                                        "credentialId": {
                                            "type": "string",
                                            "minLength": 1,
                                            "description": "the id to give a credential that has none",
                                        }
                                    },
                                },
                            },
                        }
                    ),
                    "responses": {
                        "201": _json(
                            {
                                "type": "object",
                                "required": ["verifiableCredential"],
                                "properties": {"verifiableCredential": {"type": "object"}},
                            },
                            "The signed credential",
                        ),
                        "400": _json(_PROBLEM, "Malformed request"),
                        "401": _json(
                            _PROBLEM,
                            "Missing or invalid bearer token",
                            headers={"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}},
                        ),
                        "413": _TOO_LARGE,
                        "415": _NOT_JSON,
                        "422": _json(_PROBLEM, "The credential fails the schema or names another issuer"),
                        "501": _json(_PROBLEM, "This server has no issuer (issuing is not configured)"),
                    },
                }
            },
            "/presentations/verify": {
                "post": {
                    "operationId": "verifyPresentation",
                    "summary": "Verify a Data Integrity signed presentation and its credentials",
                    "requestBody": _body(
                        {
                            "type": "object",
                            "required": ["verifiablePresentation"],
                            "properties": {
                                "verifiablePresentation": {"type": "object"},
                                "options": {
                                    "type": "object",
                                    "properties": {
                                        "challenge": {"type": "string"},
                                        "domain": {"type": "string"},
                                    },
                                },
                            },
                        }
                    ),
                    "responses": {
                        "200": _json(_RESULT, "The presentation and its credentials verified"),
                        "400": _json(_NOT_VERIFIED, "Not verified, or a malformed request"),
                        "413": _TOO_LARGE,
                        "415": _NOT_JSON,
                        "429": _RATE_LIMITED,
                    },
                }
            },
            "/credentials/{id}": {
                "get": {
                    "operationId": "getCredential",
                    "summary": "A credential issued here (from the registry), by its id or the last segment of its URL",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
                    ],
                    "responses": {
                        "200": {
                            "description": "The credential as issued; a page for people when the client prefers HTML",
                            "content": {
                                "application/vc+ld+json": {"schema": {"type": "object"}},
                                "application/vc+jwt": {"schema": {"type": "string"}},
                                "text/html": {"schema": {"type": "string"}},
                            },
                        },
                        "404": _json(_PROBLEM, "Unknown credential, or no registry configured"),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "VerificationResult": {
                    "type": "object",
                    "required": ["verified", "checks", "warnings", "errors"],
                    "properties": {
                        "verified": {"type": "boolean"},
                        "checks": {"type": "array", "items": {"type": "string"}},
                        "warnings": {"type": "array", "items": {"type": "object"}},
                        "errors": {"type": "array", "items": {"type": "object"}},
                        "problemDetails": {"type": "array", "items": {"$ref": "#/components/schemas/Problem"}},
                        "report": {"type": "object", "description": "the full openbadge_ctq verification report"},
                        "trust": {"enum": ["trusted", "unknown", "distrusted"]},
                        "credentialResults": {
                            "description": "presentations: the result for each credential in it",
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/VerificationResult"},
                        },
                    },
                },
                "Problem": {
                    "type": "object",
                    "required": ["type", "title"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "detail": {"type": "string"},
                        "pointer": {"type": "string"},
                    },
                },
                "ProblemDetails": {
                    "type": "object",
                    "description": "RFC 9457 problem details",
                    "required": ["type", "title", "status", "detail"],
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer", "minimum": 400, "maximum": 599},
                        "detail": {"type": "string"},
                        "problems": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["pointer", "detail"],
                                "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}},
                            },
                        },
                    },
                },
            },
        },
    }
