"""The flat exchange template: one row per case record, plus companion tables.

Partner agencies, the simulator and field forms all speak this template. Its
columns are the standard's field names; multi-valued fields are joined with
``;``. Companion tables (journey legs, assistance, returns) are keyed by
``record_id`` and travel as sibling CSV files or as sheets of one workbook.
The template, its documentation and the importer's validation all come from
the definitions below, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from ctdata.standard import vocab
from ctdata.standard.vocab import Vocabulary

MULTI_SEP = ";"


@dataclass(frozen=True)
class Column:
    """One template column: its name, type, vocabulary and meaning."""

    name: str
    kind: str  # text | agency | code | codes | country | countries | date | partial_date | int | bool
    description: str
    required: bool = False
    vocabulary: Vocabulary | None = None
    identifying: bool = False
    hxl: str = ""


RECORD_COLUMNS: tuple[Column, ...] = (
    Column("record_id", "text", "The contributing agency's own identifier of the case record.", True,
           hxl="#case+id"),
    Column("agency", "agency", "Agency that registered the case (short code, e.g. IOM, NGO-A).", True,
           hxl="#org+name"),
    Column("office_country", "country", "Country of the registering office (ISO alpha-2, alpha-3 or name).",
           True, hxl="#country+code+office"),
    Column("data_source", "code", "How the record came to the agency.", vocabulary=vocab.DATA_SOURCE,
           hxl="#meta+source"),
    Column("registration_date", "partial_date",
           "Date the office registered the person (YYYY-MM-DD; YYYY-MM or YYYY when only that is known).",
           True, hxl="#date+registered"),
    Column("given_name", "text", "Given name(s) as written by the office, any script.", identifying=True),
    Column("family_name", "text", "Family name(s) as written by the office, any script.", identifying=True),
    Column("date_of_birth", "partial_date", "Date of birth; YYYY or YYYY-MM when only partly known.",
           identifying=True),
    Column("place_of_birth", "text", "Town or village of birth as the person gives it, any script.",
           identifying=True),
    Column("sex", "code", "Sex or gender.", vocabulary=vocab.SEX, hxl="#affected+sex"),
    Column("citizenship", "countries", "Citizenship(s), ';'-separated.", hxl="#country+code+nationality"),
    Column("id_document_number", "text", "Number of an identity or travel document.", identifying=True),
    Column("languages", "text", "Languages spoken (ISO 639 codes or names), ';'-separated."),
    Column("status", "code", "Case status.", vocabulary=vocab.CASE_STATUS, hxl="#status"),
    Column("age_at_registration", "int", "Age in years at registration when no date of birth is recorded."),
    Column("age_band", "code", "Age band at registration when only a band is known (CTDC bands).",
           vocabulary=vocab.AGE_BAND, hxl="#affected+age"),
    Column("child_at_registration", "bool", "Under 18 at registration when neither age nor birth date is known."),
    Column("age_at_exploitation", "int", "Age in years when exploitation began.", hxl="#affected+age+exploited"),
    Column("child_at_exploitation", "bool", "Under 18 when exploitation began, when the exact age is unknown."),
    Column("country_of_exploitation", "country", "Country where the exploitation took place.",
           hxl="#country+code+exploitation"),
    Column("origin_region", "code", "UN region of origin when the citizenship is not known (public releases).",
           vocabulary=vocab.UN_REGION),
    Column("exploitation_region", "code",
           "UN region of exploitation when the country is not known (public releases).", vocabulary=vocab.UN_REGION),
    Column("exploitation_types", "codes", "Types of exploitation, ';'-separated.",
           vocabulary=vocab.EXPLOITATION_TYPES, hxl="#indicator+exploitation"),
    Column("labour_sectors", "codes", "Sectors of forced labour, ';'-separated.",
           vocabulary=vocab.LABOUR_SECTORS, hxl="#indicator+sector"),
    Column("sexual_exploitation_types", "codes", "Forms of sexual exploitation, ';'-separated.",
           vocabulary=vocab.SEXUAL_EXPLOITATION_TYPES),
    Column("means_of_control", "codes", "Means of control, ';'-separated.", vocabulary=vocab.MEANS_OF_CONTROL),
    Column("recruiter_relation", "codes", "Relation of the recruiter, ';'-separated.",
           vocabulary=vocab.RECRUITER_RELATION),
    Column("recruitment_tactics", "codes", "How the person was recruited, ';'-separated.",
           vocabulary=vocab.RECRUITMENT_TACTICS, hxl="#indicator+recruitment"),
    Column("promised_job", "text", "The job promised at recruitment, as the person tells it.", identifying=True),
    Column("promised_sector", "code", "Sector of the job promised at recruitment.",
           vocabulary=vocab.PROMISED_SECTORS, hxl="#indicator+sector+promised"),
    Column("exploitation_start", "partial_date", "When exploitation began."),
    Column("referral_from_office", "country",
           "Country of the office that referred or transferred this person here, if any."),
    Column("consent_assistance", "bool", "Informed consent to receive assistance."),
    Column("consent_research", "bool", "Consent to de-identified use for research and statistics."),
    Column("consent_sharing", "text", "Organisations the person agreed to share data with, ';'-separated."),
)

JOURNEY_COLUMNS: tuple[Column, ...] = (
    Column("record_id", "text", "Case record the leg belongs to.", True),
    Column("leg_number", "int", "Order of the leg in the journey, from 1.", True),
    Column("from_country", "country", "Country the leg started in."),
    Column("to_country", "country", "Country the leg ended in."),
    Column("departure_date", "partial_date", "When the leg began."),
    Column("crossing", "code", "Border crossing on the leg.", vocabulary=vocab.CROSSING),
    Column("travel_document", "code", "Document used on the leg.", vocabulary=vocab.TRAVEL_DOCUMENT),
    Column("transport_mode", "code", "Main means of transport.", vocabulary=vocab.TRANSPORT_MODE),
    Column("exploited", "code", "Exploitation before or during the leg.", vocabulary=vocab.EXPLOITED_ON_LEG),
)

ASSISTANCE_COLUMNS: tuple[Column, ...] = (
    Column("record_id", "text", "Case record the assistance belongs to.", True),
    Column("assistance_type", "code", "Type of assistance.", True, vocabulary=vocab.ASSISTANCE_TYPES),
    Column("date", "partial_date", "When it was given."),
    Column("provider", "text", "Who provided it."),
    Column("reintegration", "bool", "Part of reintegration after return."),
    Column("legal_types", "codes", "For legal assistance: its kinds, ';'-separated.",
           vocabulary=vocab.LEGAL_ASSISTANCE_TYPES),
    Column("funding_source", "code", "What paid for it: a project, a named fund or the office's own budget.",
           vocabulary=vocab.FUNDING_SOURCE),
    Column("funding_name", "text", "The project's name (as in the projects file) or the fund's name."),
)

RETURN_COLUMNS: tuple[Column, ...] = (
    Column("record_id", "text", "Case record the return belongs to.", True),
    Column("status", "code", "Where the return stands.", True, vocabulary=vocab.RETURN_STATUS),
    Column("requested_date", "partial_date", "When the person asked to return."),
    Column("consent_written", "bool", "Informed written consent recorded."),
    Column("risk_level", "code", "Assessed risk.", vocabulary=vocab.RISK_LEVEL),
    Column("risk_mitigations", "text", "Mitigations agreed for the assessed risks."),
    Column("best_interest_determination", "bool", "For a child: best-interest determination done."),
    Column("guardian_willing", "bool", "For a child: guardian willing to receive the child."),
    Column("guardian_able", "bool", "For a child: guardian has the means to care for the child."),
    Column("travel_date", "partial_date", "Date of travel home."),
    Column("receiving_office_country", "country", "Office that receives the person in the origin country."),
    Column("reintegration_plan", "bool", "A reintegration plan is agreed."),
    Column("follow_up_date", "partial_date", "Date of the latest reintegration follow-up."),
    Column("reintegration_status", "code", "Where reintegration stood at that follow-up.",
           vocabulary=vocab.REINTEGRATION_STATUS),
)

PERPETRATOR_COLUMNS: tuple[Column, ...] = (
    Column("record_id", "text", "Case record (the victim's) the perpetrator belongs to.", True),
    Column("roles", "codes", "Roles the perpetrator played, ';'-separated.", vocabulary=vocab.PERPETRATOR_ROLE),
    Column("sex", "codes", "Sex (several, ';'-separated, only on a grouped row).", vocabulary=vocab.SEX),
    Column("age_band", "codes", "Age band.", vocabulary=vocab.PERPETRATOR_AGE_BAND),
    Column("citizenship", "countries", "Citizenship(s), ';'-separated."),
    Column("region", "codes", "UN region of citizenship when the country is not known.",
           vocabulary=vocab.UN_REGION),
    Column("relation", "codes", "Relation to the victim.", vocabulary=vocab.PERPETRATOR_RELATION),
    Column("paid_money", "codes", "Whether the victim paid the perpetrator money (yes, no).",
           vocabulary=vocab.YES_NO),
    Column("means_of_control", "codes", "Means of control the perpetrator used, ';'-separated.",
           vocabulary=vocab.MEANS_OF_CONTROL),
    Column("grouped", "bool", "The row describes several perpetrators together (each field lists their values)."),
    Column("names", "text", "Names, ';'-separated, any script.", identifying=True),
    Column("aliases", "text", "Aliases and nicknames, ';'-separated.", identifying=True),
    Column("phone_numbers", "text", "Phone numbers, ';'-separated.", identifying=True),
    Column("document_numbers", "text", "Identity or travel document numbers, ';'-separated.", identifying=True),
    Column("addresses", "text", "Addresses or places known to be theirs, ';'-separated.", identifying=True),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "records": RECORD_COLUMNS,
    "journey_legs": JOURNEY_COLUMNS,
    "assistance": ASSISTANCE_COLUMNS,
    "returns": RETURN_COLUMNS,
    "perpetrators": PERPETRATOR_COLUMNS,
}


def column_names(table: str = "records") -> list[str]:
    return [c.name for c in TABLES[table]]
