"""The import file format: the template's columns, their header aliases and cell values.

The column names are a file format, not interface text: they stay Vietnamese whatever the
interface language, so that an export always re-imports. English headers and field names are
accepted as well (``HEADER_KEYS``), compared without case, diacritics, spaces or punctuation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry.facilities.vocab import LocationPrecision, Ownership, Status
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
    # The province's code or name, current or pre-2025 ("Bình Phước" is now in Đồng Nai).
    Column(
        "province_code",
        "Mã tỉnh",
        "province",
        ("province", "province code", "tinh", "tinh thanh pho", "ten tinh"),
        None,
        True,
    ),
    Column("address", "Địa chỉ", "text", ("address",), 500),
    # The units the source names, by code or name, current or pre-2025 (``places``); with
    # no coordinates they give the point (the unit's representative point).
    Column(
        "commune",
        "Xã/phường",
        "unit",
        ("commune", "ward", "xa", "phuong", "phuong xa", "xa phuong thi tran", "ma xa"),
        120,
    ),
    Column(
        "district",
        "Quận/huyện (trước 01/7/2025)",
        "unit",
        ("district", "huyen", "quan huyen", "quan huyen thi xa", "ma huyen", "district code"),
        120,
    ),
    Column("lat", "Vĩ độ", "lat", ("latitude",)),
    Column("lon", "Kinh độ", "lon", ("longitude", "lng")),
    Column("status", "Trạng thái", "status", ("status",)),
    # The date the status took effect (a new facility; later changes: the facility's page).
    Column(
        "status_changed_on",
        "Trạng thái từ ngày",
        "date",
        ("status since", "status changed on", "effective date", "ngay hieu luc trang thai"),
    ),
    Column(
        "opened_on", "Ngày hoạt động", "date", ("opened on", "opened", "ngay bat dau hoat dong")
    ),
    # Catalogue values (registry/facilities/catalogue.yaml) by label, code or alias; several
    # separated by ";". Unknown values are reported by services.check with the allowed ones.
    Column("level", "Cấp", "level", ("level", "cap co so", "cap phuc vu")),
    Column(
        "service_codes",
        "Dịch vụ theo danh mục",
        "services",
        ("service codes", "catalogue services", "dich vu danh muc"),
    ),
    Column(
        "target_groups",
        "Nhóm đối tượng",
        "target_groups",
        ("target groups", "target group", "nhom doi tuong phuc vu"),
    ),
    Column(
        "criteria_supported_on",
        "Ngày được hỗ trợ đạt tiêu chí Trung ương",
        "date",
        ("criteria supported on", "supported to the central criteria on"),
    ),
    # A whole number, or a range as plans write it ("300-500", "từ 300 đến 500").
    Column(
        "design_capacity",
        "Công suất thiết kế",
        "capacity",
        ("design capacity", "capacity", "cong suat", "quy mo"),
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
# Written by exports after the template's columns; read back to refuse generalised rows and
# to keep a unit's point approximate.
EXTRA_COLUMNS: tuple[Column, ...] = (
    Column("type_name", "Tên loại hình", "ignored", ("type name", "type_name_vi")),
    Column("generalised", "Vị trí đã khái quát", "flag", ("generalized",)),
    Column("location_precision", "Độ chính xác vị trí", "precision", ("location precision",)),
    Column("over_capacity", "Vượt công suất", "ignored", ("over capacity",)),
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
# What the point stands for, as exports write it and imports read it back.
PRECISION_VALUES = {
    LocationPrecision.EXACT: "chính xác",
    LocationPrecision.COMMUNE: "gần đúng (điểm đại diện xã)",
    LocationPrecision.DISTRICT: "gần đúng (điểm đại diện huyện)",
    LocationPrecision.PROVINCE: "gần đúng (điểm đại diện tỉnh)",
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
