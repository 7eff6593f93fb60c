"""ctdata.publish.

Safe publication: k-anonymity, small-cell suppression, DP synthesis, release packages, the portal's figures
and the release workflow (flows.py).
"""

__all__ = ["api", "corridors", "cube", "evaluate", "flows", "guard", "hierarchies", "kanon", "labels", "package",
           "portal", "public", "releases", "settings", "source", "suppression", "synthetic"]
