"""ctdata.web.

The FastAPI app: case pages, JSON API, public portal and authentication; it renders and calls services and
flows only.

Its modules are its public surface (imported by name, so importing the layer stays cheap).
"""

__all__ = [
    "api",
    "app",
    "auth",
    "errors",
    "headers",
    "pages",
    "portal",
    "security",
    "serve",
]
