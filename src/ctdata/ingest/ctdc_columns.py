"""Column lists of the public CTDC releases and the codes their flags map to.

Kept apart from the mapping logic so that a new CTDC release is, most of the
time, a change of tables here and not of code. Names are written as CTDC
spells them; header matching ignores case and whitespace.

Two formats are known:

- ``kanon``: the 63-column k-anonymised Global Dataset (releases 2017-2021,
  CSV or XLSX), alpha-2 countries, one flag per CTDC category.
- ``synthetic_2024``: the 27-column Global Synthetic Dataset (2024 and later),
  alpha-3 countries, a ``traffickMonths`` band, merged means-of-control flags,
  no ``Datasource`` or majority-status columns. Its column list was rebuilt
  from the CTDC description and public analyses of the file; the labour and
  sex-type flags appear as ``typeOfLabour*``/``typeOfSex*`` in some copies and
  ``sectorOfLabour*``/``sectorOfSex*`` in others, so both spellings are read.
"""

from __future__ import annotations

# --- flag groups: (CTDC column, standard code) -------------------------------------------------------

KANON_EXPLOITATION = (
    ("isForcedLabour", "forced_labour"),
    ("isSexualExploit", "sexual_exploitation"),
    ("isOtherExploit", "other"),
    ("isSexAndLabour", "sex_and_labour"),
    ("isForcedMarriage", "forced_marriage"),
    ("isForcedMilitary", "forced_military"),
    ("isOrganRemoval", "organ_removal"),
    ("isSlaveryAndPractices", "slavery"),
)

KANON_LABOUR = (
    ("typeOfLabourAgriculture", "agriculture"),
    ("typeOfLabourAquafarming", "aquafarming"),
    ("typeOfLabourBegging", "begging"),
    ("typeOfLabourConstruction", "construction"),
    ("typeOfLabourDomesticWork", "domestic_work"),
    ("typeOfLabourHospitality", "hospitality"),
    ("typeOfLabourIllicitActivities", "illicit_activities"),
    ("typeOfLabourManufacturing", "manufacturing"),
    ("typeOfLabourMiningOrDrilling", "mining_or_drilling"),
    ("typeOfLabourPeddling", "peddling"),
    ("typeOfLabourTransportation", "transportation"),
    ("typeOfLabourOther", "other"),
    ("typeOfLabourNotSpecified", "not_specified"),
)

KANON_SEX = (
    ("typeOfSexProstitution", "prostitution"),
    ("typeOfSexPornography", "pornography"),
    ("typeOfSexRemoteInteractiveServices", "remote_interactive_services"),
    ("typeOfSexPrivateSexualServices", "private_sexual_services"),
)

KANON_MEANS = (
    ("meansOfControlDebtBondage", "debt_bondage"),
    ("meansOfControlTakesEarnings", "takes_earnings"),
    ("meansOfControlRestrictsFinancialAccess", "restricts_financial_access"),
    ("meansOfControlThreats", "threats"),
    ("meansOfControlPsychologicalAbuse", "psychological_abuse"),
    ("meansOfControlPhysicalAbuse", "physical_abuse"),
    ("meansOfControlSexualAbuse", "sexual_abuse"),
    ("meansOfControlFalsePromises", "false_promises"),
    ("meansOfControlPsychoactiveSubstances", "psychoactive_substances"),
    ("meansOfControlRestrictsMovement", "restricts_movement"),
    ("meansOfControlRestrictsMedicalCare", "restricts_medical_care"),
    ("meansOfControlExcessiveWorkingHours", "excessive_working_hours"),
    ("meansOfControlUsesChildren", "uses_children"),
    ("meansOfControlThreatOfLawEnforcement", "threat_of_law_enforcement"),
    ("meansOfControlWithholdsNecessities", "withholds_necessities"),
    ("meansOfControlWithholdsDocuments", "withholds_documents"),
    ("meansOfControlOther", "other"),
    ("meansOfControlNotSpecified", "not_specified"),
)

KANON_RECRUITER = (
    ("recruiterRelationIntimatePartner", "intimate_partner"),
    ("recruiterRelationFriend", "friend"),
    ("recruiterRelationFamily", "family"),
    ("recruiterRelationOther", "other"),
    ("recruiterRelationUnknown", "unknown"),
)

SYNTHETIC_EXPLOITATION = KANON_EXPLOITATION[:3]

SYNTHETIC_LABOUR = (
    ("typeOfLabourAgriculture", "agriculture"),
    ("typeOfLabourConstruction", "construction"),
    ("typeOfLabourDomesticWork", "domestic_work"),
    ("typeOfLabourHospitality", "hospitality"),
)

SYNTHETIC_SEX = (
    ("typeOfSexProstitution", "prostitution"),
    ("typeOfSexPornography", "pornography"),
)

#: The 2024 release merges several CTDC means into one flag. The standard has no
#: merged codes, so each merged flag maps to ONE code, the closest part (not to all
#: of its parts: that would assert, say, sexual abuse for every abused person).
#: Per-code counts from this release are therefore approximate for the first three.
SYNTHETIC_MEANS = (
    ("meansDebtBondageEarnings", "debt_bondage"),  # debt bondage or takes earnings
    ("meansThreats", "threats"),  # threats, incl. threat of law enforcement
    ("meansAbusePsyPhySex", "physical_abuse"),  # psychological, physical or sexual abuse
    ("meansFalsePromises", "false_promises"),
    ("meansDrugsAlcohol", "psychoactive_substances"),
    ("meansDenyBasicNeeds", "withholds_necessities"),  # denies basic needs
    ("meansExcessiveWorkHours", "excessive_working_hours"),
    ("meansWithholdDocs", "withholds_documents"),
)

SYNTHETIC_RECRUITER = KANON_RECRUITER[:4]

#: The recruitment tactics the global release flags (the standard's ``recruitment_tactics``). CTDC has no
#: other tactic, nor what was promised (job, sector); its ``meansOfControlFalsePromises`` is a means of
#: control and stays one. The 2024 synthetic release has no tactic.
KANON_TACTICS = (("isAbduction", "abduction"),)

#: Other spellings of a column seen in copies of a release: alias -> canonical name.
ALIASES = {
    "sectorOfLabourAgriculture": "typeOfLabourAgriculture",
    "sectorOfLabourConstruction": "typeOfLabourConstruction",
    "sectorOfLabourDomesticWork": "typeOfLabourDomesticWork",
    "sectorOfLabourHospitality": "typeOfLabourHospitality",
    "sectorOfSexProstitution": "typeOfSexProstitution",
    "sectorOfSexPornography": "typeOfSexPornography",
}

# --- full headers, in CTDC's order ------------------------------------------------------------------


def _names(pairs: tuple[tuple[str, str], ...]) -> list[str]:
    return [c for c, _ in pairs]


KANON_HEADER: tuple[str, ...] = tuple(
    [
        "yearOfRegistration",
        "Datasource",
        "gender",
        "ageBroad",
        "majorityStatus",
        "majorityStatusAtExploit",
        "majorityEntry",
        "citizenship",
    ]
    + _names(KANON_MEANS)
    + ["meansOfControlConcatenated"]
    + _names(KANON_EXPLOITATION)
    + ["typeOfExploitConcatenated"]
    + _names(KANON_LABOUR)
    + ["typeOfLabourConcatenated"]
    + _names(KANON_SEX)
    + ["typeOfSexConcatenated"]
    + ["isAbduction", "RecruiterRelationship", "CountryOfExploitation"]
    + _names(KANON_RECRUITER)
)

SYNTHETIC_HEADER: tuple[str, ...] = tuple(
    ["yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation", "traffickMonths"]
    + _names(SYNTHETIC_MEANS)
    + _names(SYNTHETIC_EXPLOITATION)
    + _names(SYNTHETIC_LABOUR)
    + _names(SYNTHETIC_SEX)
    + _names(SYNTHETIC_RECRUITER)
)

#: Columns without which a header is not the format (the rest may be absent: read as unknown).
KANON_REQUIRED: tuple[str, ...] = (
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "majorityStatusAtExploit",
    "citizenship",
    "CountryOfExploitation",
    *_names(KANON_EXPLOITATION),
)
SYNTHETIC_REQUIRED: tuple[str, ...] = (
    "yearOfRegistration",
    "gender",
    "ageBroad",
    "citizenship",
    "CountryOfExploitation",
    "traffickMonths",
    *_names(SYNTHETIC_MEANS),
    *_names(SYNTHETIC_EXPLOITATION),
)

# --- the victim-perpetrator synthetic release (December 2022) -------------------------------------------
# One row per victim; the IP_ ("involved perpetrator") columns describe all of the victim's perpetrators
# together, several values joined with ';' (docs/ctdc_victim_perpetrator.md gives the whole coding).

VP_HEADER: tuple[str, ...] = (
    "yearRegister", "gender", "majorityStatus", "isForcedLabour", "isSexualExploit", "UN_COO_Region",
    "UN_COE_Region", "IP_Exploiter", "IP_Gender", "IP_ageBroad", "IP_citizen_UNRegion", "IP_Relation",
    "IP_PayMoney", "IP_RecruiterBroker", "IP_TransactionProcess", "IP_ControlAbuseKidnap",
)
#: every column: the release is recognised by its IP_ columns, and each of the 16 is read
VP_REQUIRED: tuple[str, ...] = VP_HEADER
VP_EXPLOITATION = KANON_EXPLOITATION[:2]
#: registration year bands: a single year is kept, a band of years is not a date (read as unknown)
VP_YEARS = {"2005-2013": None, "2014-2018": None, "2019": "2019", "2020": "2020", "2021-2022": None}
#: UN regions as the release writes them -> the standard's `un_region` codes
VP_REGIONS = {
    "Africa": "africa", "Asia": "asia", "Europe": "europe", "Americas/Oceania": "americas_oceania",
    "Americas": "americas", "Oceania": "oceania",
}
VP_PERPETRATOR_AGE = {"0--29": "0-29", "30--38": "30-38", "39--47": "39-47", "48+": "48+"}
VP_RELATION = {
    "FamilyIntimatePartner": "family_intimate_partner",
    "FriendAcquaintance": "friend_acquaintance",
    "StrangerUnknownOther": "stranger_other",
}
VP_PAID = {"Yes": "yes", "No": "no"}
#: role flags (1 or empty): the perpetrators recruited or brokered the victim, exploited them, took part in
#: the transaction (selling or buying them), controlled, abused or kidnapped them
VP_ROLES = (
    ("IP_RecruiterBroker", "recruiter"),
    ("IP_Exploiter", "exploiter"),
    ("IP_TransactionProcess", "broker"),
    ("IP_ControlAbuseKidnap", "controller"),
)
