"""The OpenAPI 3.1 description of the service's VC API endpoints (served at ``/openapi.json``)."""

from __future__ import annotations

from typing import Any

__all__ = ["openapi_document"]

_PROBLEM = {"$ref": "#/components/schemas/ProblemDetails"}
_RESULT = {"$ref": "#/components/schemas/VerificationResult"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


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
                    "summary": "Verify a credential",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["verifiableCredential"],
                                    "properties": {
                                        "verifiableCredential": {"oneOf": [{"type": "object"}, {"type": "string"}]},
                                        "options": {"type": "object"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(_RESULT, "The credential verified"),
                        "400": _json(_RESULT, "The credential did not verify, or the request is malformed"),
                        "429": _json(_PROBLEM, "Too many requests from this client"),
                    },
                }
            },
            "/credentials/issue": {
                "post": {
                    "summary": "Sign a credential for this server's issuer (eddsa-rdfc-2022)",
                    "security": [{"bearer": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["credential"],
                                    "properties": {
                                        "credential": {"type": "object"},
                                        "options": {
                                            "type": "object",
                                            "properties": {"credentialId": {"type": "string"}},
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(
                            {"type": "object", "properties": {"verifiableCredential": {"type": "object"}}},
                            "The signed credential",
                        ),
                        "400": _json(_PROBLEM, "Malformed request"),
                        "401": _json(_PROBLEM, "Missing or invalid bearer token"),
                        "422": _json(_PROBLEM, "The credential fails the schema or names another issuer"),
                    },
                }
            },
            "/presentations/verify": {
                "post": {
                    "summary": "Verify a Data Integrity signed presentation and its credentials",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
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
                            }
                        },
                    },
                    "responses": {
                        "200": _json(_RESULT, "The presentation and its credentials verified"),
                        "400": _json(_RESULT, "Not verified, or a malformed request"),
                    },
                }
            },
            "/credentials/{id}": {
                "get": {
                    "summary": "A credential issued here (from the registry)",
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "The credential",
                            "content": {"application/vc+ld+json": {}, "application/vc+jwt": {}},
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
                    "properties": {
                        "verified": {"type": "boolean"},
                        "checks": {"type": "array", "items": {"type": "string"}},
                        "warnings": {"type": "array", "items": {"type": "object"}},
                        "errors": {"type": "array", "items": {"type": "object"}},
                        "problemDetails": {"type": "array", "items": {"type": "object"}},
                        "report": {"type": "object", "description": "the full openbadge_ctq verification report"},
                        "trust": {"enum": ["trusted", "unknown", "distrusted"]},
                    },
                },
                "ProblemDetails": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                    },
                },
            },
        },
    }
