"""Procedures and authorities as data (pure: no app, no database)."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date

import pytest
import yaml

from registry.licensing.procedures import (
    PROCEDURES_FILE,
    NoAuthority,
    ProcedureFileError,
    authority_for,
    parse_procedures,
    procedure,
    procedures,
)

D = date


@pytest.mark.parametrize(
    ("code", "kind", "days", "starts", "level"),
    [
        ("establishment", "registration", 5, "complete", "province"),
        ("operating_licence", "licence", 15, "complete", "province"),
        ("licence_amendment", "amendment", 15, "complete", "province"),
        ("small_facility", "registration", 10, "receipt", "commune"),
        ("voluntary_rehab", "licence", 15, "complete", "province"),
    ],
)
def test_procedure_limits_and_clock_start(code, kind, days, starts, level):
    p = procedure(code)
    assert (p.kind, p.time_limit_days, p.clock_starts, p.level) == (kind, days, starts, level)
    assert p.name_vi
    assert p.name_en
    assert p.documents


def test_the_five_procedures_in_file_order():
    assert [p.code for p in procedures()] == [
        "establishment",
        "operating_licence",
        "licence_amendment",
        "small_facility",
        "voluntary_rehab",
    ]


def test_unknown_procedure_is_a_key_error():
    with pytest.raises(KeyError):
        procedure("driving_licence")


@pytest.mark.parametrize(
    ("code", "forms"),
    [
        ("establishment", {"declaration": "06", "draft_rules": "03b", "plan": None}),
        ("operating_licence", {"application": "09", "registration_copy": None}),
        ("small_facility", {"declaration": "14", "criminal_records": None}),
        ("licence_amendment", {"request": None}),
    ],
)
def test_documents_carry_their_legal_form_numbers(code, forms):
    documents = {d.code: d for d in procedure(code).documents}
    for doc_code, form_no in forms.items():
        assert documents[doc_code].form_no == form_no
        assert documents[doc_code].required


@pytest.mark.parametrize(
    ("code", "source"),
    [
        ("establishment", "2.000135"),
        ("operating_licence", "2.000294"),
        ("licence_amendment", "1.000684"),
        ("small_facility", "Art. 44"),
        ("voluntary_rehab", "Decree 116/2021"),
    ],
)
def test_every_procedure_cites_its_legal_source(code, source):
    p = procedure(code)
    assert source in p.source
    assert "README" in p.source


def test_voluntary_rehab_is_flagged_unconfirmed_with_a_note():
    p = procedure("voluntary_rehab")
    assert p.confirmed is False
    assert "chưa được xác nhận" in (p.note_vi or "")
    assert "unconfirmed" in (p.note_en or "")


def test_records_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        procedure("establishment").time_limit_days = 30  # type: ignore[misc]


@pytest.mark.parametrize(
    ("code", "province", "on", "authority", "name", "confirmed"),
    [
        (
            "operating_licence",
            "Tỉnh Đồng Nai",
            D(2025, 2, 28),
            "so_ldtbxh",
            "Sở Lao động - Thương binh và Xã hội tỉnh Đồng Nai",
            True,
        ),
        (
            "operating_licence",
            "Tỉnh Đồng Nai",
            D(2025, 3, 1),
            "so_y_te",
            "Sở Y tế tỉnh Đồng Nai",
            True,
        ),
        (
            "establishment",
            "Thành phố Hà Nội",
            D(2026, 2, 13),
            "so_y_te",
            "Sở Y tế thành phố Hà Nội",
            True,
        ),
        ("licence_amendment", "Đắk Lắk", D(2019, 6, 1), "so_ldtbxh", None, True),
        ("voluntary_rehab", "Tỉnh Đắk Lắk", D(2025, 2, 28), "so_ldtbxh", None, True),
        (
            "voluntary_rehab",
            "Tỉnh Đắk Lắk",
            D(2025, 3, 1),
            "so_y_te",
            "Sở Y tế tỉnh Đắk Lắk",
            False,
        ),
        (
            "small_facility",
            "Tỉnh Đồng Nai",
            D(2026, 1, 5),
            "chu_tich_ubnd_xa",
            "Chủ tịch Ủy ban nhân dân cấp xã",
            True,
        ),
    ],
)
def test_authority_follows_the_date(code, province, on, authority, name, confirmed):
    found = authority_for(procedure(code), province, on)
    assert found.code == authority
    if name is not None:
        assert found.name_vi == name
    assert found.confirmed is confirmed
    assert found.valid_on(on)
    assert "{province}" not in found.name_vi + found.name_en + (found.superior_vi or "")


def test_responsibility_moved_to_the_department_of_health_on_1_march_2025():
    p = procedure("establishment")
    before = authority_for(p, "Tỉnh Đồng Nai", D(2025, 2, 28))
    after = authority_for(p, "Tỉnh Đồng Nai", D(2025, 3, 1))
    assert before.valid_to == D(2025, 2, 28)
    assert after.valid_from == D(2025, 3, 1)
    assert after.superior_vi == "Ủy ban nhân dân tỉnh Đồng Nai"


def test_district_office_before_2025_and_none_after():
    p = procedure("establishment")
    office = authority_for(p, "Tỉnh Đồng Nai", D(2024, 7, 1), level="district")
    assert office.code == "phong_ldtbxh"
    with pytest.raises(NoAuthority) as err:
        authority_for(p, "Tỉnh Đồng Nai", D(2025, 7, 2), level="district")
    assert "02/07/2025" in err.value.detail
    assert "cấp huyện" in err.value.detail


def test_no_authority_before_decree_103():
    with pytest.raises(NoAuthority):
        authority_for(procedure("operating_licence"), "Tỉnh Đồng Nai", D(2017, 10, 31))


@pytest.mark.parametrize("on", [D(2018, 1, 2), D(2024, 12, 31), D(2025, 3, 1), D(2026, 12, 2)])
def test_every_procedure_has_an_authority(on):
    for p in procedures():
        assert authority_for(p, "Tỉnh Đồng Nai", on).source


# --- procedures.yaml validation --------------------------------------------------------------


def _data():
    return copy.deepcopy(yaml.safe_load(PROCEDURES_FILE.read_text(encoding="utf-8")))


def _unknown_authority(d):
    d["procedures"][4]["authorities"][0]["authority"] = "bo_cong_an"


def _overlap(d):
    d["authorities"][1]["valid_from"] = D(2025, 2, 1)


def _bad_clock_start(d):
    d["procedures"][0]["clock_starts"] = "submission"


def _zero_limit(d):
    d["procedures"][0]["time_limit_days"] = 0


def _duplicate_procedure(d):
    d["procedures"][1]["code"] = "establishment"


def _ends_before_start(d):
    d["authorities"][0]["valid_to"] = D(2016, 1, 1)


def _level_mismatch(d):
    d["procedures"][4]["authorities"][0]["authority"] = "chu_tich_ubnd_xa"


def _duplicate_document(d):
    d["procedures"][1]["documents"][1]["code"] = "application"


def _no_level_authority(d):
    d["procedures"][0]["level"] = "district"
    d["authorities"] = [a for a in d["authorities"] if a["level"] != "district"]


@pytest.mark.parametrize(
    ("mutate", "where", "text"),
    [
        (_unknown_authority, "procedures[4].authorities[0]", "bo_cong_an"),
        (_overlap, "authorities[1]", "overlap"),
        (_bad_clock_start, "procedures[0].clock_starts", "submission"),
        (_zero_limit, "procedures[0].time_limit_days", "0"),
        (_duplicate_procedure, "procedures[1].code", "establishment"),
        (_ends_before_start, "authorities[0].valid_to", "before valid_from"),
        (_level_mismatch, "procedures[4].authorities[0]", "cấp xã"),
        (_duplicate_document, "procedures[1].documents[1].code", "application"),
        (_no_level_authority, "procedures[0].level", "cấp huyện"),
    ],
)
def test_procedure_file_errors_name_the_place(mutate, where, text):
    data = _data()
    mutate(data)
    with pytest.raises(ProcedureFileError) as err:
        parse_procedures(data)
    assert err.value.where == where
    assert text in str(err.value)


def test_procedure_file_as_shipped_is_valid():
    parsed = parse_procedures(_data())
    assert set(parsed.procedures) == {p.code for p in procedures()}
    assert all(a.source for a in parsed.authorities)


def test_every_procedure_cites_its_legal_basis_in_vietnamese_words():
    """What the screen and the decision notice cite ("Căn cứ …"): Vietnamese, no research
    trail (README lines), no English."""
    from registry.licensing import procedures as p

    for proc in p.procedures():
        assert proc.legal_basis_vi, proc.code
        assert "Nghị định" in " ".join(proc.legal_basis_vi), proc.code
        for ground in proc.legal_basis_vi:
            assert "README" not in ground, ground
            assert " l." not in ground, ground
            assert "Decree" not in ground, ground
