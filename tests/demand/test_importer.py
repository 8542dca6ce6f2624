"""Reading count files, refusing personal records, carrying pre-2025 communes."""

from __future__ import annotations

import pytest

from registry.demand import importer
from registry.demand.vocab import Method


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.mark.parametrize(
    "header",
    ["Họ tên", "Ho va ten", "Số CCCD", "CMND", "Ngày sinh", "Năm sinh", "Địa chỉ", "Full name"],
)
def test_a_column_of_a_personal_record_is_refused_in_vietnamese(header):
    _rows, problems = importer.read_rows(_csv(f"Mã xã,{header},Tổng số", "25222,x,3"), "csv")
    personal = [p for p in problems if p.column == header]
    assert personal, problems
    assert "hồ sơ cá nhân" in personal[0].message or "personal record" in personal[0].message


def test_every_bad_row_is_reported_in_one_pass():
    data = _csv("Mã xã,Tổng số,Nam,Nữ", "25222,ba,,", "25225,5,4,3", ",2,,", "26119,12,5,6")
    rows, problems = importer.read_rows(data, "csv")
    assert {(p.row, p.column) for p in problems} == {(2, "total"), (3, "male"), (4, "code")}
    assert [r.code for r in rows] == ["26119"]


def test_unknown_columns_are_refused_too():
    _rows, problems = importer.read_rows(_csv("Mã xã,Tổng số,Ghi chú", "25222,3,x"), "csv")
    assert [p.column for p in problems] == ["Ghi chú"]


@pytest.mark.parametrize(
    ("value", "weights", "parts"),
    [
        (10, [1, 1, 1], [4, 3, 3]),
        (3, [108.0, 306.0], [1, 2]),
        (0, [1, 2], [0, 0]),
        (7, [0, 0], [4, 3]),
    ],
)
def test_apportion_keeps_whole_numbers_that_add_up(value, weights, parts):
    assert importer.apportion(value, weights) == parts
    assert sum(importer.apportion(value, weights)) == value


def test_a_divided_unit_is_shared_by_area_when_no_population_is_known(db_session):
    """Xuân Tâm (26449) was divided between Xuân Đông and Xuân Hoà in 2025; neither has a
    population figure, so its count is shared by their areas and the method says so."""
    rows, problems = importer.read_rows(_csv("Mã xã,Tên xã,Tổng số", "26449,Xuân Tâm,100"), "csv")
    assert problems == []
    carried, problems = importer.carry(db_session, rows, province_code="75", edition=_pre2025())
    assert problems == []
    by_code = {c.code: c for c in carried}
    assert set(by_code) == {"26359", "26446"}
    assert sum(c.total for c in carried) == 100
    assert {c.method for c in carried} == {Method.SPLIT_AREA}
    assert all(not c.complete for c in carried)  # the other predecessors are not in the file


def test_a_name_that_is_not_the_units_is_refused(db_session):
    rows, _ = importer.read_rows(_csv("Mã xã,Tên xã,Tổng số", "26449,Nguyễn Văn An,4"), "csv")
    _carried, problems = importer.carry(db_session, rows, province_code="75", edition=_pre2025())
    assert [p.column for p in problems] == ["name"]


def _pre2025():
    from registry.geography.models import Edition

    return Edition.PRE2025
