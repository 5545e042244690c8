"""EDGE: the district verification service — HTML pages and the W3C VC API over the library (Starlette/ASGI).

``create_app(Settings(...))`` returns the ASGI app; ``badge serve`` runs it with uvicorn. Nothing in the library
imports this package.
"""

from __future__ import annotations

from .app import Settings, create_app
from .vcapi import IssuerConfig

__all__ = ["IssuerConfig", "Settings", "create_app"]
