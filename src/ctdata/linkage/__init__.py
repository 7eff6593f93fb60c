"""ctdata.linkage: case records linked into individuals with Splink, reviewed by people, evaluated.

    features      features.py       names, dates and places in the ASCII keys the model compares
    model         comparisons.py    how two records are compared (Splink comparison levels, as data)
                  blocking.py       the blocking rules as a table: candidate pairs, EM blocks, sure matches
                  training.py       prior, u and m without labels
                  prediction.py     candidate pairs scored; the prior recalibrated from the scores
    facade        engine.py         Linker (features, training, inference, clustering, evaluation) and link_frame
    clusters      cluster.py        constrained clustering and stable individual ids
    people        review.py, review_store.py, explain.py: the review queue, labels, waterfalls
                  flows.py          deciding a pair: by an authenticated reviewer account, audited
    store         pipeline.py, store_io.py: `ctdata link` over the case store
    quality       evaluate.py       pairwise and cluster scores against a truth

Every use of a Splink internal is in ``_splink_compat.py``, pinned to the tested
Splink version by tests/linkage/test_splink_compat.py; ``backends.py`` chooses
the database that runs Splink's SQL (DuckDB, Spark).
"""

__all__ = [
    "backends",
    "blocking",
    "cluster",
    "comparisons",
    "engine",
    "evaluate",
    "explain",
    "features",
    "flows",
    "pipeline",
    "prediction",
    "review",
    "review_store",
    "settings",
    "store_io",
    "training",
]
