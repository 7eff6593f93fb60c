"""ctdata.text: words made in Python are their English string, keep their message id, and SVGs get a name."""

from __future__ import annotations

import pytest

from ctdata.errors import ValidationError
from ctdata.text import Country, Day, Join, Month, Sentence, Terms, Text, svg_title, words_of


def test_text_is_the_english_sentence_with_its_message_id() -> None:
    t = Text("{who} recorded {what}", who="th", what=Terms(["Forced labour", "Sexual exploitation"]))
    assert t == "th recorded forced labour and sexual exploitation" and isinstance(t, str)
    assert t.msgid == "{who} recorded {what}" and t.params["who"] == "th"
    assert Join([Text("a."), "", Text("b.")]) == "a. b."
    assert Country("TH", "Thailand") == "Thailand" and Country("TH", "Thailand").code == "TH"
    assert Day("1994-04-03", spoken=True) == "3 April 1994" and Day("1994-04-03") == "1994-04-03"
    assert Month(2) == "February"
    assert Sentence(Text("say why")) == "Say why."


def test_an_error_keeps_the_words_it_was_raised_with() -> None:
    exc = ValidationError.at("reason", Text("say why the return is cancelled"))
    assert str(exc) == "reason: say why the return is cancelled"
    assert isinstance(exc.fields["reason"], Text)
    assert words_of(ValidationError(Text("no figures"))).msgid == "no figures"
    assert words_of(ValidationError("plain")) == "plain"


@pytest.mark.parametrize(
    "svg",
    ['<svg width="10" height="10"><rect/></svg>', '<svg role="presentation" aria-label="x"><rect/></svg>'],
)
def test_svg_title_names_the_chart(svg: str) -> None:
    named = svg_title(svg, "Cases by year <2024>", "by-year")
    assert named.startswith("<svg") and named.count('role="img"') == 1 and "presentation" not in named
    assert 'aria-labelledby="by-year-title"><title id="by-year-title">Cases by year &lt;2024&gt;</title>' in named
    assert svg_title("not an svg", "x") == "not an svg"
