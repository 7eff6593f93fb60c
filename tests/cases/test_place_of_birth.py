"""The place of birth: an identifying field of the standard, encrypted at rest, erased with the names,
read by linkage, and not part of the person key (keys stored before it stay the same people's)."""

from __future__ import annotations

from ctdata.cases import erasure, service
from ctdata.cases.tx import transaction
from ctdata.linkage.store_io import read_records
from ctdata.store.crypto import keyring
from ctdata.store.models import CaseRecord
from ctdata.store.persons import person_key
from tests.cases.conftest import CASE, PERSON

PLACE = "Cần Thơ"


def test_place_of_birth_is_encrypted_readable_erased_and_linked_on(engine, actors):
    with transaction(engine) as s:
        cid = service.register_case(s, actors["th"], {**PERSON, "place_of_birth": PLACE}, CASE).id
    with transaction(engine) as s:
        rec = s.get(CaseRecord, cid)
        blob = rec.person.place_of_birth_enc
        assert blob is not None and PLACE.encode() not in blob
        assert keyring().decrypt(blob, "place_of_birth") == PLACE
        assert service.get_case(s, actors["th"], cid)["person"]["place_of_birth"] == PLACE
        # the analyst's view has no identifying field
        assert service.get_case(s, actors["analyst"], cid)["person"].get("place_of_birth") is None
        feats = read_records(s).features
        assert feats.loc[feats["given_name"] == PERSON["given_name"], "place_of_birth"].tolist() == [PLACE]
    with transaction(engine) as s:
        erasure.erase_person(s, actors["dm"], cid, "the person's written request")
    with transaction(engine) as s:
        assert s.get(CaseRecord, cid).person.place_of_birth_enc is None


def test_the_person_key_does_not_read_the_place_of_birth(engine):
    keys = keyring()
    assert person_key(keys, {**PERSON, "place_of_birth": PLACE}, "s", "1") == person_key(keys, PERSON, "s", "1")
