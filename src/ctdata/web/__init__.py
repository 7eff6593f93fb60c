"""ctdata.web.

The FastAPI app: case pages, JSON API, public portal and authentication; it renders and calls services and
flows only.
"""

__all__ = ["api", "app", "auth", "errors", "headers", "pages", "portal", "security", "serve"]
