"""ctdata.standard.

The case data standard: vocabularies, countries, regions, dates and ages, pydantic models, the template and
its dictionary.

Its modules are its public surface (imported by name, so importing the layer stays cheap).
"""

__all__ = [
    "ages",
    "cells",
    "countries",
    "dates",
    "dictionary",
    "models",
    "regions",
    "template",
    "types",
    "vocab",
]
