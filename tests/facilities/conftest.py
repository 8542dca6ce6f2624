import pytest

from registry.facilities import services
from registry.facilities.models import Ownership, Status

BIEN_HOA = (106.82, 10.95)  # lon, lat: inside Biên Hòa (pre-2025) / Trấn Biên area
BUON_MA_THUOT = (108.04, 12.67)


@pytest.fixture
def types(db_session):
    services.load_types(db_session)


@pytest.fixture
def make_input():
    def _make(**overrides):
        values = {
            "name": "Trung tâm Bảo trợ xã hội thử nghiệm",
            "type_code": "GENERAL",
            "ownership": Ownership.PUBLIC,
            "province_code": "75",
            "lon": BIEN_HOA[0],
            "lat": BIEN_HOA[1],
            "status": Status.OPERATING,
            "design_capacity": 400,
            "residents": 120,
        }
        values.update(overrides)
        return services.FacilityInput(**values)

    return _make
