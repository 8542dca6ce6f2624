"""The import file format: the template's columns, their header aliases and cell values.

The column names are a file format, not interface text: they stay Vietnamese whatever the
interface language, so that an export always re-imports. English headers and field names are
accepted as well (``HEADER_KEYS``), compared without case, diacritics, spaces or punctuation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry.facilities.vocab import Ownership, Status
from registry.text import fold


@dataclass(frozen=True)
class Column:
    """One column of the template. ``kind`` says how a cell is read."""

    field: str
    header: str
    kind: str
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    required: bool = False  # for a new facility


COLUMNS: tuple[Column, ...] = (
    Column("code", "Mã cơ sở", "code", ("registry code", "ma dang ky"), 32),
    Column("name", "Tên cơ sở", "text", ("name", "facility name", "ten"), 255, True),
    Column(
        "type_code",
        "Loại hình (mã)",
        "type",
        ("type", "type code", "loai hinh", "ma loai hinh"),
        32,
        True,
    ),
    Column("ownership", "Loại hình sở hữu", "ownership", ("ownership", "so huu"), None, True),
    Column("managing_body", "Cơ quan quản lý", "text", ("managing body",), 255),
    Column(
        "province_code", "Mã tỉnh", "province", ("province", "province code", "tinh"), None, True
    ),
    Column("address", "Địa chỉ", "text", ("address",), 500),
    Column("lat", "Vĩ độ", "lat", ("latitude",), None, True),
    Column("lon", "Kinh độ", "lon", ("longitude", "lng"), None, True),
    Column("status", "Trạng thái", "status", ("status",)),
    Column(
        "opened_on", "Ngày hoạt động", "date", ("opened on", "opened", "ngay bat dau hoat dong")
    ),
    Column(
        "design_capacity", "Công suất thiết kế", "int", ("design capacity", "capacity", "cong suat")
    ),
    Column(
        "residents",
        "Số đối tượng hiện có",
        "int",
        ("residents", "current residents", "so doi tuong"),
    ),
    Column("staff", "Số nhân viên", "int", ("staff",)),
    Column("services", "Dịch vụ", "text", ("services",), 4000),
    Column(
        "registration_no",
        "Số giấy chứng nhận đăng ký",
        "text",
        ("registration no", "registration certificate no", "registration number"),
        100,
    ),
    Column(
        "licence_no",
        "Số giấy phép hoạt động",
        "text",
        ("licence no", "license no", "operating licence no", "licence number"),
        100,
    ),
    Column("notes", "Ghi chú", "text", ("notes", "note"), 4000),
)
# Written by exports after the template's columns; read back only to refuse generalised rows.
EXTRA_COLUMNS: tuple[Column, ...] = (
    Column("type_name", "Tên loại hình", "ignored", ("type name", "type_name_vi")),
    Column("commune_code", "Mã xã", "ignored", ("commune code",)),
    Column("generalised", "Vị trí đã khái quát", "flag", ("generalized",)),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS + EXTRA_COLUMNS}
CORE_FIELDS = tuple(c.field for c in COLUMNS if c.required)

# Cell values, also a file format: the brief's "công lập / ngoài công lập"; codes are accepted.
OWNERSHIP_VALUES = {Ownership.PUBLIC: "công lập", Ownership.NON_PUBLIC: "ngoài công lập"}
STATUS_VALUES = {
    Status.PLANNED: "quy hoạch",
    Status.UNDER_CONSTRUCTION: "đang xây dựng",
    Status.OPERATING: "đang hoạt động",
    Status.SUSPENDED: "tạm ngừng hoạt động",
    Status.CLOSED: "đã đóng cửa",
}
# Other spellings accepted on import, compared by ``match_key``.
OWNERSHIP_ALIASES = {
    "public": Ownership.PUBLIC,
    "non public": Ownership.NON_PUBLIC,
    "nonpublic": Ownership.NON_PUBLIC,
    "private": Ownership.NON_PUBLIC,
    "tu nhan": Ownership.NON_PUBLIC,
    "dan lap": Ownership.NON_PUBLIC,
    "tu thuc": Ownership.NON_PUBLIC,
}
STATUS_ALIASES = {
    "planned": Status.PLANNED,
    "du kien": Status.PLANNED,
    "under construction": Status.UNDER_CONSTRUCTION,
    "operating": Status.OPERATING,
    "hoat dong": Status.OPERATING,
    "suspended": Status.SUSPENDED,
    "tam ngung": Status.SUSPENDED,
    "closed": Status.CLOSED,
    "dong cua": Status.CLOSED,
    "giai the": Status.CLOSED,
    "ngung hoat dong": Status.CLOSED,
}


def match_key(text: object) -> str:
    """Headers and values compared without case, diacritics, spaces or punctuation."""
    return re.sub(r"[^0-9a-z]", "", fold(str(text)))


# Every accepted header spelling (field, template header, aliases) -> field.
HEADER_KEYS: dict[str, str] = {}
for _column in COLUMNS + EXTRA_COLUMNS:
    for _name in (_column.field, _column.header, *_column.aliases):
        HEADER_KEYS.setdefault(match_key(_name), _column.field)
