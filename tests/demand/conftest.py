"""A count file for Đồng Nai's pre-2025 communes (old Đồng Nai 75 and Bình Phước 70)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from registry.geography.models import AdminUnit, Edition, Level

#: Bù Gia Mập (25222) was formed from one pre-2025 commune: its count lands whole.
SMALL_COMMUNE = "25222"


def pre2025_communes(db_session) -> list[AdminUnit]:
    return list(
        db_session.scalars(
            select(AdminUnit)
            .where(
                AdminUnit.edition == Edition.PRE2025,
                AdminUnit.level == Level.COMMUNE,
                AdminUnit.province_code.in_(["75", "70"]),
            )
            .order_by(AdminUnit.code)
        )
    )


def predecessors(db_session, new_code: str) -> set[str]:
    from registry.geography.services import predecessors_of, unit_by_code

    unit = unit_by_code(db_session, new_code, Edition.CURRENT, Level.COMMUNE)
    return {s.old_unit.code for s in predecessors_of(db_session, unit)}


@pytest.fixture
def dong_nai_file(db_session) -> bytes:
    """Every pre-2025 commune of the new Đồng Nai with a count (20 + code mod 17, by sex),
    except that Bù Gia Mập's only predecessor counts 3 (1 boy, 2 girls)."""
    small = predecessors(db_session, SMALL_COMMUNE)
    assert len(small) == 1
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Mã xã", "Tên xã", "Tổng số", "Nam", "Nữ"])
    for unit in pre2025_communes(db_session):
        if unit.code in small:
            writer.writerow([unit.code, unit.name, 3, 1, 2])
        else:
            total = 20 + int(unit.code) % 17
            writer.writerow([unit.code, unit.name, total, total // 2, total - total // 2])
    return out.getvalue().encode("utf-8")
