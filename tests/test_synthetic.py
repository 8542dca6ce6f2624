"""The synthetic benchmark data set: deterministic, consistent and inside the country."""

import csv

import pytest
import shapely

from bench.synthetic import FACILITY_TYPES, STATUSES, SyntheticDataset, generate, write_csv


@pytest.fixture(scope="module")
def small() -> SyntheticDataset:
    return generate(seed=7, n_facilities=500, communes_per_province=5)


def _comparable(dataset: SyntheticDataset) -> tuple:
    communes = [
        (c["code"], c["province_code"], c["point"].wkb, c["population"]) for c in dataset.communes
    ]
    provinces = [(p["code"], p["population"]) for p in dataset.provinces]
    return provinces, communes, dataset.facilities


def test_same_seed_gives_the_same_data(small):
    again = generate(seed=7, n_facilities=500, communes_per_province=5)
    assert _comparable(again) == _comparable(small)


def test_other_seed_gives_other_data(small):
    other = generate(seed=8, n_facilities=500, communes_per_province=5)
    assert _comparable(other) != _comparable(small)


def test_uses_the_63_real_provinces(small):
    assert len(small.provinces) == 63
    assert {"75", "66"} <= {p["code"] for p in small.provinces}
    assert all(
        p["population"] > 0 and p["population_source"] == "synthetic" for p in small.provinces
    )


def test_commune_points_lie_inside_their_province(small):
    geometry = {p["code"]: p["geometry"] for p in small.provinces}
    assert len(small.communes) == 63 * 5
    for commune in small.communes:
        assert geometry[commune["province_code"]].contains(commune["point"]), commune["code"]


def test_facilities_lie_inside_their_province_and_belong_to_a_commune_there(small):
    geometry = {p["code"]: p["geometry"] for p in small.provinces}
    commune_province = {c["code"]: c["province_code"] for c in small.communes}
    for facility in small.facilities:
        province = facility["province_code"]
        assert commune_province[facility["commune_code"]] == province
        assert shapely.contains_xy(geometry[province], facility["lon"], facility["lat"])


def test_codes_are_unique_and_well_formed(small):
    commune_codes = [c["code"] for c in small.communes]
    assert len(set(commune_codes)) == len(commune_codes)
    assert all(len(code) == 5 and code.isdigit() for code in commune_codes)

    facility_codes = [f["code"] for f in small.facilities]
    assert len(set(facility_codes)) == len(facility_codes) == 500
    assert [f["id"] for f in small.facilities] == list(range(1, 501))
    for facility in small.facilities:
        province, type_code, seq = facility["code"].rsplit("-", 2)
        assert (province, type_code) == (facility["province_code"], facility["type_code"])
        assert len(seq) == 4
        assert seq.isdigit()


def test_attributes_are_consistent(small):
    for facility in small.facilities:
        assert facility["type_code"] in FACILITY_TYPES
        assert facility["status"] in STATUSES
        assert facility["ownership"] in {"public", "non_public"}
        assert 0 <= facility["residents"] <= facility["design_capacity"]
        assert facility["staff"] >= 0
        if facility["status"] in {"planned", "under_construction", "closed"}:
            assert facility["residents"] == 0
    operating = sum(f["status"] == "operating" for f in small.facilities)
    assert operating > 0.7 * len(small.facilities)


def test_commune_populations_add_up_to_the_province(small):
    totals: dict[str, int] = {}
    for commune in small.communes:
        totals[commune["province_code"]] = (
            totals.get(commune["province_code"], 0) + commune["population"]
        )
    assert totals == {p["code"]: p["population"] for p in small.provinces}


def test_default_size_is_national():
    dataset = generate(seed=1, n_facilities=1000)
    assert 9_000 <= len(dataset.communes) <= 11_000


def test_write_csv_round_trips_the_facilities(small, tmp_path):
    path = write_csv(small, tmp_path / "out" / "facilities.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(small.facilities)
    assert rows[0]["code"] == small.facilities[0]["code"]
    assert float(rows[0]["lon"]) == pytest.approx(small.facilities[0]["lon"], abs=1e-6)
