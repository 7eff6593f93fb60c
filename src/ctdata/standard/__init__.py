"""ctdata.standard.

The case data standard: vocabularies, countries, regions, dates and ages, pydantic models, the template and
its dictionary.
"""

__all__ = ["ages", "cells", "countries", "dates", "dictionary", "models", "regions", "template", "types", "vocab"]
