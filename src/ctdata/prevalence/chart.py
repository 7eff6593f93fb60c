"""The estimate across methods as a chart, and the caveats that go with every MSE figure."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd

from ctdata.prevalence.estimate import MSEResult
from ctdata.prevalence.sources import list_name
from ctdata.text import Join, Text

CAVEATS: tuple[tuple[str, str], ...] = (
    (
        Text("Closed population"),
        Text(
            "The method assumes the same people were there to be found by every list during the period. "
            "People who arrived, left, died or were counted in another period break that assumption, and the "
            "estimate then mixes different groups."
        ),
    ),
    (
        Text("Lists are not equal"),
        Text(
            "Some people are much easier to find than others, and one agency's cases often lead to another's. "
            "The model allows for some of this through the overlaps it includes, but if a whole group is hidden "
            "from every list alike, the method cannot see them and the estimate is too low."
        ),
    ),
    (
        Text("Linkage errors"),
        Text(
            "Each person must be recognised as the same person across lists. Missed matches make lists look "
            "less overlapping and push the estimate up; false matches do the opposite. The estimate is only as "
            "good as the linkage behind it."
        ),
    ),
    (
        Text("Model choice"),
        Text(
            "Different reasonable models can give quite different estimates, especially when lists rarely "
            "overlap. Read the interval, not just the point, and compare the methods shown side by side."
        ),
    ),
)

CAVEATS_TEXT = "\n\n".join(f"{title}. {text}" for title, text in CAVEATS)


def estimates_frame(results: Sequence[MSEResult]) -> pd.DataFrame:
    rows = [
        {
            "method": r.method,
            "model": r.model,
            "estimate": r.estimate,
            "ci_low": r.ci_low,
            "ci_high": r.ci_high,
            "interval": f"{r.ci_level:.0%} {r.ci_method}",
            "observed": r.observed,
        }
        for r in results
    ]
    return pd.DataFrame(
        rows, columns=["method", "model", "estimate", "ci_low", "ci_high", "interval", "observed"]
    )


#: The model-choice methods and interval methods as a page names them (`Text`: English here, the reader's
#: language on a page); the CLI, the JSON and the report keep the codes (``stepwise``, ``profile``).
METHOD_NAMES: dict[str, Text] = {
    "main": Text("main effects only"),
    "stepwise": Text("stepwise"),
    "aic": Text("lowest AIC"),
    "bic": Text("lowest BIC"),
    "model": Text("named model"),
}
INTERVAL_METHODS: dict[str, Text] = {
    "profile": Text("profile likelihood"),
    "bootstrap": Text("bootstrap"),
    "wald": Text("Wald"),
}
MAIN_EFFECTS = "main effects"


def method_name(code: str) -> str:
    """A model-choice method's name for a page (the code when it has none)."""
    return METHOD_NAMES.get(code, code)


def interval_name(code: str) -> str:
    """An interval method's name for a page (the code when it has none)."""
    return INTERVAL_METHODS.get(code, code)


def model_words(model: str, names: Callable[[str], str] = str) -> str:
    """A model ('main effects + A:B') for a page: 'main effects' in the reader's language, each
    interaction's lists as `names` writes them."""
    head, *terms = model.split(" + ")
    if head != MAIN_EFFECTS:
        return model
    return Join([Text("main effects"), *(Join([names(x) for x in t.split(":")], sep=":") for t in terms)],
                sep=" + ")


#: The chart's title and axis (`Text`, so a page can write them in its reader's language and pass them in).
METHODS_TITLE = Text("Estimated population by method")
METHODS_AXIS = Text("population (observed + estimated unseen)")
METHODS_DESCRIPTION = Text("Estimated population by method: a point for each estimate, a bar for its interval, "
                           "a dashed line at the number observed.")


def methods_chart(results: Sequence[MSEResult], title: str = METHODS_TITLE, axis: str = METHODS_AXIS,
                  description: str = METHODS_DESCRIPTION, words: Callable[[str], str] | None = None) -> alt.Chart:
    """Point and error bar per method, with a rule at the observed total.

    `words` puts words made here in the reader's language (a page passes its `localise`): the methods,
    models and intervals are then named (`method_name`, `model_words`, `interval_name`); the report and
    the CLI keep the codes.
    """
    frame = estimates_frame(results)
    if words is not None:
        frame["method"] = [words(method_name(r.method)) for r in results]
        frame["model"] = [words(model_words(r.model, list_name)) for r in results]
        frame["interval"] = [f"{r.ci_level:.0%} {words(interval_name(r.ci_method))}" for r in results]
    base = alt.Chart(frame).encode(y=alt.Y("method:N", title=None, sort=list(frame["method"])))
    # the axis starts near the figures, not at 0: intervals a few percent wide would shrink to a dot
    x_scale = alt.Scale(zero=False, nice=True)
    # five ticks at most: at Vega's default count the end labels (set flush with the axis ends) ran into
    # their neighbours ('3,6003,800')
    x_axis = alt.Axis(tickCount=5, format=",.0f", labelOverlap=True)
    bars = base.mark_errorbar(ticks=True).encode(
        x=alt.X("ci_low:Q", title=str(axis), scale=x_scale, axis=x_axis), x2="ci_high:Q"
    )
    points = base.mark_point(filled=True, size=70).encode(
        x=alt.X("estimate:Q", scale=x_scale),
        tooltip=[
            "method",
            "model",
            alt.Tooltip("estimate:Q", format=",.0f"),
            alt.Tooltip("ci_low:Q", format=",.0f"),
            alt.Tooltip("ci_high:Q", format=",.0f"),
            "interval",
        ],
    )
    layers = [bars, points]
    if len(frame):
        observed = pd.DataFrame({"observed": [int(frame["observed"].iloc[0])]})
        layers.append(alt.Chart(observed).mark_rule(strokeDash=[4, 4]).encode(x=alt.X("observed:Q", scale=x_scale)))
    props = {"title": str(title)} if str(title) else {}  # the report's figure heading is its title
    return alt.layer(*layers).properties(
        **props,
        description=str(description),
        width=420,
        height=40 + 30 * max(1, len(frame)),
    )
