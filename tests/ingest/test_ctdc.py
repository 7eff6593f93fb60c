"""CTDC release mapping: header detection and row -> template record, on rows built here."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctdata.errors import FileFormatError, ValidationError
from ctdata.ingest import ctdc_columns as cols
from ctdata.ingest.ctdc import KANON, SYNTHETIC_2024, CtdcRelease, RowError, detect_release, map_row
from ctdata.standard import vocab
from ctdata.standard.models import RecordRow
from ctdata.standard.template import RECORD_COLUMNS

# The header of the 15 July 2021 release, as published (63 columns).
KANON_2021_HEADER = (
    "yearOfRegistration,Datasource,gender,ageBroad,majorityStatus,majorityStatusAtExploit,majorityEntry,"
    "citizenship,meansOfControlDebtBondage,meansOfControlTakesEarnings,meansOfControlRestrictsFinancialAccess,"
    "meansOfControlThreats,meansOfControlPsychologicalAbuse,meansOfControlPhysicalAbuse,"
    "meansOfControlSexualAbuse,meansOfControlFalsePromises,meansOfControlPsychoactiveSubstances,"
    "meansOfControlRestrictsMovement,meansOfControlRestrictsMedicalCare,meansOfControlExcessiveWorkingHours,"
    "meansOfControlUsesChildren,meansOfControlThreatOfLawEnforcement,meansOfControlWithholdsNecessities,"
    "meansOfControlWithholdsDocuments,meansOfControlOther,meansOfControlNotSpecified,meansOfControlConcatenated,"
    "isForcedLabour,isSexualExploit,isOtherExploit,isSexAndLabour,isForcedMarriage,isForcedMilitary,"
    "isOrganRemoval,isSlaveryAndPractices,typeOfExploitConcatenated,typeOfLabourAgriculture,"
    "typeOfLabourAquafarming,typeOfLabourBegging,typeOfLabourConstruction,typeOfLabourDomesticWork,"
    "typeOfLabourHospitality,typeOfLabourIllicitActivities,typeOfLabourManufacturing,"
    "typeOfLabourMiningOrDrilling,typeOfLabourPeddling,typeOfLabourTransportation,typeOfLabourOther,"
    "typeOfLabourNotSpecified,typeOfLabourConcatenated,typeOfSexProstitution,typeOfSexPornography,"
    "typeOfSexRemoteInteractiveServices,typeOfSexPrivateSexualServices,typeOfSexConcatenated,isAbduction,"
    "RecruiterRelationship,CountryOfExploitation,recruiterRelationIntimatePartner,recruiterRelationFriend,"
    "recruiterRelationFamily,recruiterRelationOther,recruiterRelationUnknown"
).split(",")

# The 2024 global synthetic dataset (27 columns).
SYNTHETIC_2024_HEADER = (
    "yearOfRegistration,gender,ageBroad,citizenship,CountryOfExploitation,traffickMonths,"
    "meansDebtBondageEarnings,meansThreats,meansAbusePsyPhySex,meansFalsePromises,meansDrugsAlcohol,"
    "meansDenyBasicNeeds,meansExcessiveWorkHours,meansWithholdDocs,isForcedLabour,isSexualExploit,"
    "isOtherExploit,typeOfLabourAgriculture,typeOfLabourConstruction,typeOfLabourDomesticWork,"
    "typeOfLabourHospitality,typeOfSexProstitution,typeOfSexPornography,recruiterRelationIntimatePartner,"
    "recruiterRelationFriend,recruiterRelationFamily,recruiterRelationOther"
).split(",")

KANON_REL = detect_release(KANON_2021_HEADER)
SYN_REL = detect_release(SYNTHETIC_2024_HEADER)
RECORD_KEYS = {c.name for c in RECORD_COLUMNS}


def kanon_row(**values: str | None) -> dict[str, str | None]:
    """A 2021-style row: every column empty except those given."""
    row: dict[str, str | None] = dict.fromkeys(KANON_2021_HEADER, "")
    row.update(values)
    return row


def synthetic_row(**values: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = dict.fromkeys(SYNTHETIC_2024_HEADER, "")
    row.update(values)
    return row


def kmap(**values: str | None) -> dict:
    return map_row(KANON_REL, kanon_row(**values), 7, "ctdc-2021")


def smap(**values: str | None) -> dict:
    return map_row(SYN_REL, synthetic_row(**values), 3, "ctdc-2024")


# --- header detection ------------------------------------------------------------------------------------


def test_known_headers_match_the_published_column_lists():
    assert list(cols.KANON_HEADER) == KANON_2021_HEADER
    assert len(KANON_2021_HEADER) == 63
    assert list(cols.SYNTHETIC_HEADER) == SYNTHETIC_2024_HEADER
    assert len(SYNTHETIC_2024_HEADER) == 27


def test_detects_both_formats():
    assert KANON_REL.format == KANON and KANON_REL.absent == ()
    assert SYN_REL.format == SYNTHETIC_2024 and SYN_REL.absent == ()
    assert "63 columns" in KANON_REL.label and "27 columns" in SYN_REL.label


def test_detection_tolerates_order_case_whitespace_bom_and_extra_columns():
    header = [f"  {c.upper()} " for c in reversed(KANON_2021_HEADER)] + ["notes", "batch"]
    header[0] = "\ufeff" + header[0]
    rel = detect_release(header)
    assert rel.format == KANON
    assert rel.columns["gender"] == "  GENDER "
    row = {h: "" for h in header}
    row["  GENDER "] = "Male"
    row["  CITIZENSHIP "] = "NA"
    row["  ISFORCEDLABOUR "] = "1"
    row["notes"] = "ignored"
    rec = map_row(rel, row, 1, "s")
    assert rec["sex"] == "male"
    assert rec["citizenship"] == ["NA"]
    assert rec["exploitation_types"] == ["forced_labour"]


def test_detection_reads_the_sector_spelling_of_synthetic_copies():
    header = [
        c.replace("typeOfLabour", "sectorOfLabour").replace("typeOfSex", "sectorOfSex")
        for c in SYNTHETIC_2024_HEADER
    ]
    rel = detect_release(header)
    assert rel.format == SYNTHETIC_2024 and rel.absent == ()
    rec = map_row(rel, dict.fromkeys(header, "") | {"sectorOfLabourHospitality": "1"}, 1, "s")
    assert rec["labour_sectors"] == ["hospitality"]


def test_optional_columns_may_be_absent_and_read_as_unknown():
    header = [c for c in KANON_2021_HEADER if not c.startswith("typeOfSex")]
    rel = detect_release(header)
    assert rel.format == KANON
    assert "typeOfSexProstitution" in rel.absent
    rec = map_row(rel, dict.fromkeys([c for c in header if c.startswith(("typeOf", "is"))], "0"), 1, "s")
    assert rec["sexual_exploitation_types"] is None
    assert rec["labour_sectors"] == []


def test_release_rebuilt_from_its_settings_maps_the_same():
    again = CtdcRelease(KANON_REL.format, dict(KANON_REL.columns))
    assert again == KANON_REL
    row = kanon_row(gender="Male", isForcedLabour="1")
    assert map_row(again, row, 1, "s") == map_row(KANON_REL, row, 1, "s")
    with pytest.raises(ValueError):
        CtdcRelease("kanon2", {})


def test_header_missing_required_columns_names_them_on_one_line():
    header = [c for c in KANON_2021_HEADER if c not in ("gender", "Datasource")]
    with pytest.raises(FileFormatError) as err:
        detect_release(header)
    message = str(err.value)
    assert "\n" not in message
    assert "gender" in message and "Datasource" in message
    assert "2 column(s)" in message and "k-anonymised" in message


def test_header_of_something_else_is_refused():
    with pytest.raises(FileFormatError, match="not a CTDC release"):
        detect_release(["name", "date", "amount"])
    with pytest.raises(FileFormatError, match="synthetic"):
        detect_release([c for c in SYNTHETIC_2024_HEADER if c != "traffickMonths"])


# --- the k-anonymised format -----------------------------------------------------------------------------


def test_full_kanon_row():
    rec = kmap(
        yearOfRegistration="2019",
        Datasource="Case Management",
        gender="Female",
        ageBroad="09--17",
        majorityStatus="Minor",
        majorityStatusAtExploit="Minor",
        citizenship="UA",
        CountryOfExploitation="RU",
        isForcedLabour="1",
        isSexualExploit="1",
        isOtherExploit="0",
        isSexAndLabour="1",
        isForcedMarriage="0",
        isForcedMilitary="0",
        isOrganRemoval="0",
        isSlaveryAndPractices="0",
        typeOfLabourConstruction="1",
        typeOfSexPornography="1",
        meansOfControlThreats="1",
        meansOfControlWithholdsDocuments="1",
        meansOfControlNotSpecified="0",
        recruiterRelationFriend="1",
        recruiterRelationUnknown="0",
        isAbduction="1",
    )
    assert set(rec) == RECORD_KEYS
    assert rec["record_id"] == "ctdc-2021:7"
    assert rec["agency"] == "CTDC" and rec["office_country"] is None and rec["consent_research"] is True
    assert rec["registration_date"] == "2019"
    assert rec["data_source"] == "case_management"
    assert rec["sex"] == "female"
    assert rec["age_band"] == "9-17"
    assert rec["child_at_registration"] is True and rec["child_at_exploitation"] is True
    assert rec["citizenship"] == ["UA"] and rec["country_of_exploitation"] == "RU"
    assert rec["exploitation_types"] == ["forced_labour", "sexual_exploitation", "sex_and_labour"]
    assert rec["labour_sectors"] == ["construction"]
    assert rec["sexual_exploitation_types"] == ["pornography"]
    assert rec["means_of_control"] == ["threats", "withholds_documents"]
    assert rec["recruiter_relation"] == ["friend"]
    assert rec["recruitment_tactics"] == ["abduction"]
    assert rec["promised_job"] is None and rec["promised_sector"] is None  # CTDC does not record them
    assert rec["given_name"] is None and rec["status"] is None


@pytest.mark.parametrize("flag, tactics", [("1", ["abduction"]), ("0", []), ("", None), ("-99", None)])
def test_abduction_flag_is_the_one_recruitment_tactic_ctdc_records(flag, tactics):
    assert kmap(isAbduction=flag)["recruitment_tactics"] == tactics


def test_every_exploitation_flag_gives_its_own_code():
    for flag, code in cols.KANON_EXPLOITATION:
        assert kmap(**{flag: "1"})["exploitation_types"] == [code]


@pytest.mark.parametrize("missing", ["", "-99", "Unknown", "unknown", " Unknown ", None, "NA", "N/A", "nan"])
def test_every_missing_convention_reads_as_unknown(missing):
    fields = [
        "yearOfRegistration",
        "Datasource",
        "gender",
        "ageBroad",
        "majorityStatus",
        "majorityStatusAtExploit",
    ] + [c for c, _ in cols.KANON_MEANS]
    rec = kmap(**dict.fromkeys(fields, missing))
    for name in (
        "registration_date",
        "data_source",
        "sex",
        "age_band",
        "child_at_registration",
        "child_at_exploitation",
        "means_of_control",
    ):
        assert rec[name] is None, name


@pytest.mark.parametrize("missing", ["", "-99", "Unknown", None, "00", "ZZ", "zz"])
def test_unknown_country_markers(missing):
    rec = kmap(citizenship=missing, CountryOfExploitation=missing)
    assert rec["citizenship"] is None and rec["country_of_exploitation"] is None


def test_absent_keys_read_as_unknown():
    rec = map_row(KANON_REL, {}, 1, "s")
    assert rec["sex"] is None and rec["exploitation_types"] is None and rec["registration_date"] is None


def test_na_is_namibia_in_country_columns_only():
    rec = kmap(citizenship="NA", CountryOfExploitation="NA", gender="NA")
    assert rec["citizenship"] == ["NA"]
    assert rec["country_of_exploitation"] == "NA"
    assert rec["sex"] is None
    assert smap(citizenship="NAM")["citizenship"] == ["NA"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0--8", "0-8"),
        ("9--17", "9-17"),
        ("09--17", "9-17"),
        ("18--20", "18-20"),
        ("30--38", "30-38"),
        ("48+", "48+"),
        (" 21--23 ", "21-23"),
    ],
)
def test_age_bands(text, code):
    assert kmap(ageBroad=text)["age_band"] == code


@pytest.mark.parametrize(
    ("gender", "sex"),
    [
        ("Female", "female"),
        ("Male", "male"),
        ("Transgender/NonConforming", "transgender_nonconforming"),
        ("female", "female"),
        ("MALE", "male"),
    ],
)
def test_gender(gender, sex):
    assert kmap(gender=gender)["sex"] == sex


def test_hotline_source_and_majority_at_exploitation():
    rec = kmap(Datasource="Hotline", majorityStatus="Adult", majorityStatusAtExploit="Minor")
    assert rec["data_source"] == "hotline"
    assert rec["child_at_registration"] is False and rec["child_at_exploitation"] is True


def test_year_from_a_spreadsheet_float():
    assert kmap(yearOfRegistration="2016.0")["registration_date"] == "2016"


def test_flag_group_rules():
    zeros = {c: "0" for c, _ in cols.KANON_SEX}
    assert kmap(**zeros)["sexual_exploitation_types"] == []  # every flag an explicit 0: known none
    part = zeros | {"typeOfSexPornography": ""}
    assert kmap(**part)["sexual_exploitation_types"] is None  # no 1 and one unknown: unknown
    assert kmap(typeOfSexProstitution="1")["sexual_exploitation_types"] == ["prostitution"]
    assert kmap(typeOfSexProstitution="1.0", typeOfSexPornography="-99")["sexual_exploitation_types"] == [
        "prostitution"
    ]


def test_returned_lists_are_not_shared_between_rows():
    first = kmap(isForcedLabour="1")
    first["exploitation_types"].append("changed")
    assert kmap(isForcedLabour="1")["exploitation_types"] == ["forced_labour"]


# --- the 2024 synthetic format ---------------------------------------------------------------------------


def test_full_synthetic_row():
    rec = smap(
        yearOfRegistration="2022",
        gender="Woman",
        ageBroad="9--17",
        citizenship="PHL",
        CountryOfExploitation="USA",
        traffickMonths="13--24 (1-2 yrs)",
        meansDebtBondageEarnings="1",
        meansAbusePsyPhySex="1",
        meansDrugsAlcohol="1",
        isSexualExploit="1",
        typeOfSexProstitution="1",
        recruiterRelationFamily="1",
    )
    assert set(rec) == RECORD_KEYS
    assert rec["record_id"] == "ctdc-2024:3"
    assert rec["registration_date"] == "2022"
    assert rec["data_source"] is None
    assert rec["sex"] == "female"
    assert rec["age_band"] == "9-17" and rec["child_at_registration"] is True
    assert rec["child_at_exploitation"] is None
    assert rec["citizenship"] == ["PH"] and rec["country_of_exploitation"] == "US"
    assert rec["exploitation_types"] == ["sexual_exploitation"]  # empty beside a 1 counts as 0
    assert rec["means_of_control"] == ["debt_bondage", "physical_abuse", "psychoactive_substances"]
    assert rec["sexual_exploitation_types"] == ["prostitution"]
    assert rec["labour_sectors"] is None  # all empty: unknown
    assert rec["recruiter_relation"] == ["family"]


@pytest.mark.parametrize(
    ("gender", "sex"),
    [
        ("Man", "male"),
        ("Woman", "female"),
        ("Trans/Transgender/NonConforming", "transgender_nonconforming"),
        ("Transgender", "transgender_nonconforming"),
        ("Trans", "transgender_nonconforming"),
    ],
)
def test_synthetic_gender(gender, sex):
    assert smap(gender=gender)["sex"] == sex


def test_synthetic_adult_band_and_empty_groups():
    rec = smap(ageBroad="30--38")
    assert rec["child_at_registration"] is False
    assert rec["exploitation_types"] is None and rec["means_of_control"] is None


# --- garbage ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("gender", "Blue"),
        ("yearOfRegistration", "20x1"),
        ("yearOfRegistration", "1800"),
        ("citizenship", "QQ"),
        ("CountryOfExploitation", "Atlantis"),
        ("isForcedLabour", "7"),
        ("meansOfControlThreats", "2"),
        ("ageBroad", "17"),
        ("Datasource", "Fax"),
        ("majorityStatus", "Old"),
    ],
)
def test_garbage_raises_row_error_naming_column_and_value(column, value):
    with pytest.raises(RowError) as err:
        kmap(**{column: value})
    assert isinstance(err.value, ValidationError)
    reason = str(err.value)
    assert column in reason and repr(value) in reason and "\n" not in reason
    assert err.value.reason == reason and err.value.column == column and err.value.value == value


def test_alpha2_garbage_in_synthetic_file_too():
    with pytest.raises(RowError, match="citizenship"):
        smap(citizenship="QQQ")
    with pytest.raises(RowError, match="meansThreats"):
        smap(meansThreats="x")


def test_long_values_are_shortened_in_the_reason():
    with pytest.raises(RowError) as err:
        kmap(gender="x" * 5000 + "\nsecond line")
    assert len(str(err.value)) < 250 and "\n" not in str(err.value)


# --- codes belong to the standard -------------------------------------------------------------------------


def test_every_code_in_the_tables_is_in_its_vocabulary():
    pairs = [
        (cols.KANON_EXPLOITATION + cols.SYNTHETIC_EXPLOITATION, vocab.EXPLOITATION_TYPES),
        (cols.KANON_LABOUR + cols.SYNTHETIC_LABOUR, vocab.LABOUR_SECTORS),
        (cols.KANON_SEX + cols.SYNTHETIC_SEX, vocab.SEXUAL_EXPLOITATION_TYPES),
        (cols.KANON_MEANS + cols.SYNTHETIC_MEANS, vocab.MEANS_OF_CONTROL),
        (cols.KANON_RECRUITER + cols.SYNTHETIC_RECRUITER, vocab.RECRUITER_RELATION),
    ]
    for table, vocabulary in pairs:
        for column, code in table:
            assert code in vocabulary, (column, code)


def test_mapped_records_validate_as_template_rows():
    rec = kmap(
        yearOfRegistration="2019",
        Datasource="Hotline",
        gender="Male",
        ageBroad="48+",
        citizenship="NA",
        isForcedLabour="1",
        typeOfLabourBegging="1",
    )
    row = RecordRow(**rec)
    assert row.citizenship == ["NA"] and row.labour_sectors == ["begging"]


# --- general rules ----------------------------------------------------------------------------------------

_VALID = {
    "yearOfRegistration": ["2019", "2002", ""],
    "Datasource": ["Case Management", "Hotline"],
    "gender": ["Female", "Male", "Woman", "Man", "Transgender/NonConforming"],
    "ageBroad": ["0--8", "09--17", "48+"],
    "majorityStatus": ["Adult", "Minor"],
    "citizenship": ["NA", "UA", "USA", "00"],
    "CountryOfExploitation": ["US", "ZZ", "PHL"],
}
_ANY_VALUE = st.one_of(
    st.none(), st.text(max_size=12), st.sampled_from(["", "-99", "Unknown", "1", "0", "NA", "ZZ", "1.0"])
)


def _rows(header: list[str]) -> st.SearchStrategy[dict]:
    def value_for(column: str) -> st.SearchStrategy:
        return st.one_of(_ANY_VALUE, st.sampled_from(_VALID.get(column, ["1", "0", ""])))

    return st.fixed_dictionaries({c: value_for(c) for c in header})


def _check_shape(rec: dict) -> None:
    assert set(rec) == RECORD_KEYS
    for name, vocabulary in (
        ("sex", vocab.SEX),
        ("age_band", vocab.AGE_BAND),
        ("data_source", vocab.DATA_SOURCE),
    ):
        assert rec[name] is None or rec[name] in vocabulary
    for name, vocabulary in (
        ("exploitation_types", vocab.EXPLOITATION_TYPES),
        ("means_of_control", vocab.MEANS_OF_CONTROL),
    ):
        assert rec[name] is None or all(code in vocabulary for code in rec[name])
    assert rec["citizenship"] is None or (len(rec["citizenship"]) == 1 and len(rec["citizenship"][0]) == 2)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(release=st.sampled_from([KANON_REL, SYN_REL]), data=st.data())
def test_map_row_raises_only_row_error(release: CtdcRelease, data):
    header = KANON_2021_HEADER if release.format == KANON else SYNTHETIC_2024_HEADER
    row = data.draw(_rows(header))
    try:
        rec = map_row(release, row, 1, "s")
    except RowError as err:
        assert "\n" not in str(err) and err.column in str(err)
    else:
        _check_shape(rec)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.text(max_size=8)), max_size=8))
def test_arbitrary_dicts_raise_only_row_error(row):
    try:
        rec = map_row(KANON_REL, row, 1, "s")
    except RowError:
        return
    _check_shape(rec)
