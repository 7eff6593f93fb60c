"""Date fields in the page's language (issue 19): a browser's date picker shows mm/dd/yyyy to an en-US browser
whatever language the page is in, so the pages' dates are text fields in the page's language (`lang`), read by
the one date-reading rule (day first, ISO as it is), with the format said beside each field in that language."""

from __future__ import annotations

import re

import pytest

from ctdata.web import i18n
from tests.web.test_pages import signed_in, th_case  # noqa: F401

#: every date field of the case pages: (page, field id)
DATE_FIELDS = [("/screening", "f-registration_date"), ("/cases", "f-registered_from"), ("/cases", "f-registered_to"),
               ("/cases/{case}?tab=journey", "leg-date"), ("/cases/{case}?tab=assistance", "as-date"),
               ("/cases/{case}?tab=consent", "co-date"), ("/cases/{case}?tab=return", "ret-requested")]
HINT = {"en": "dd/mm/yyyy or yyyy-mm-dd", "fr": "jj/mm/aaaa ou aaaa-mm-jj", "es": "dd/mm/aaaa o aaaa-mm-dd",
        "ar": "يوم/شهر/سنة: \u206631/01/2025\u2069"}  # the example isolated left to right (LRI ... PDI)


def _field(html: str, fid: str) -> str:
    found = re.search(rf'<input [^>]*id="{fid}"[^>]*>', html)
    assert found is not None, fid
    return found[0]


@pytest.mark.parametrize("lang", ["en", "fr", "es", "ar"])
def test_every_date_field_is_in_the_pages_language_with_its_format_beside_it(app, engine, th_case, lang) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    client, _ = signed_in(app, engine, "th")
    pages: dict[str, str] = {}
    for path, fid in DATE_FIELDS:
        url = path.format(case=th_case)
        html = pages.get(url) or client.get(url, headers={"accept-language": lang}).text
        pages[url] = html
        field = _field(html, fid)
        assert 'type="text"' in field and f'lang="{lang}"' in field and 'inputmode="numeric"' in field, field
        assert f'aria-describedby="{fid}-hint' in field, field
        hint = html.split(f'id="{fid}-hint">')[1].split("<")[0]
        assert hint == HINT[lang] == i18n.translations(lang).gettext(HINT["en"]), (fid, hint)
        assert 'type="date"' not in html


def test_a_date_typed_day_first_in_a_french_page_is_read_as_the_hint_says(app, engine, th_case) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    client, csrf = signed_in(app, engine, "th")
    fr = {"accept-language": "fr"}
    leg = {"csrf_token": csrf, "from_country": "VN", "to_country": "TH", "crossing": "official_land",
           "departure_date": "31/01/2024"}
    r = client.post(f"/cases/{th_case}/journey", data=leg, headers=fr)
    assert r.status_code == 200 and "31 janv. 2024" in client.get(f"/cases/{th_case}?tab=journey", headers=fr).text
    both = client.post(f"/cases/{th_case}/journey", data={**leg, "departure_date": "03/04/2024"}, headers=fr)
    assert both.status_code == 422 and "3 avril 2024" in both.text and "4 mars 2024" in both.text  # asked, not guessed
    listed = client.get("/cases?registered_from=01/01/2000&registered_to=31/12/2099", headers=fr)
    assert listed.status_code == 200 and 'value="31/12/2099"' in listed.text
