"""ctdata.publish.

Safe publication: k-anonymity, small-cell suppression, DP synthesis, release packages, the portal's figures
and the release workflow (flows.py).

Its modules are its public surface (imported by name, so importing the layer stays cheap).
"""

__all__ = [
    "api",
    "corridors",
    "cube",
    "evaluate",
    "flows",
    "guard",
    "hierarchies",
    "kanon",
    "labels",
    "package",
    "portal",
    "public",
    "releases",
    "settings",
    "source",
    "suppression",
    "synthetic",
]
