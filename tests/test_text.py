"""Vietnamese folding, tone-mark normalisation, name similarity and alphabetical order."""

import unicodedata

import pytest

from registry.text import (
    compare,
    fold,
    normalise_tone_placement,
    similar,
    sort_key,
    sorted_by_name,
    strip_admin_prefix,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Biên Hòa", "bien hoa"),
        ("ĐẮK LẮK", "dak lak"),
        ("đường Đồng Khởi", "duong dong khoi"),
        ("  Thành   phố\tHồ Chí Minh\n", "thanh pho ho chi minh"),
        ("Ea H'leo", "ea h'leo"),
        ("Nguyễn Thị Ửng", "nguyen thi ung"),
        ("", ""),
    ],
)
def test_fold_drops_case_diacritics_and_extra_spaces(text, expected):
    assert fold(text) == expected


def test_fold_treats_composed_and_decomposed_input_alike():
    name = "Hòa Thắng"
    assert fold(unicodedata.normalize("NFD", name)) == fold(name) == "hoa thang"


def test_fold_ignores_tone_placement():
    assert fold("Hoà Bình") == fold("Hòa Bình")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hoà", "hòa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("HOÀ", "HÒA"),
        ("THUỶ", "THỦY"),
        ("Khoẻ", "Khỏe"),
        ("Hoà Thắng", "Hòa Thắng"),
        ("văn hoá", "văn hóa"),
        ("Uỷ ban", "Ủy ban"),
        ("Thuỵ Khuê", "Thụy Khuê"),
        ("xoè", "xòe"),
    ],
)
def test_tone_on_the_second_vowel_of_open_oa_oe_uy_moves_to_the_first(text, expected):
    assert normalise_tone_placement(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "hòa",  # already in the target form
        "quý",  # "qu" is a consonant; the mark stays on y
        "Quỳnh",
        "hoàng",  # closed syllables are written one way only
        "thuyền",
        "hoài",  # "oai": the pair is not at the end of the syllable
        "khuỷu",
        "Biên Hòa",
        "Đắk Lắk",
        "hoa",
    ],
)
def test_tone_placement_leaves_other_syllables_alone(text):
    assert normalise_tone_placement(text) == text


def test_tone_placement_matches_names_across_catalogues():
    old, new = "Xã Hoà Thắng", "Xã Hòa Thắng"
    assert old != new
    assert normalise_tone_placement(old) == normalise_tone_placement(new)


def test_tone_placement_accepts_decomposed_input_and_returns_nfc():
    result = normalise_tone_placement(unicodedata.normalize("NFD", "Hoà Thắng"))
    assert result == "Hòa Thắng"
    assert unicodedata.is_normalized("NFC", result)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thành phố Biên Hòa", "Biên Hòa"),
        ("Thị xã Long Khánh", "Long Khánh"),
        ("Xã Hòa Thắng", "Hòa Thắng"),
        ("Thị trấn Trảng Bom", "Trảng Bom"),
        ("Huyện Xuân Lộc", "Xuân Lộc"),
        ("Tỉnh Đồng Nai", "Đồng Nai"),
        ("Quận Ba Đình", "Ba Đình"),
        ("phường  Tân Lập", "Tân Lập"),
        ("TP. Biên Hòa", "Biên Hòa"),
        ("Trung tâm Bảo trợ xã hội", "Bảo trợ xã hội"),
        ("Cơ sở Cai nghiện ma túy", "Cai nghiện ma túy"),
        ("THÀNH PHỐ BUÔN MA THUỘT", "BUÔN MA THUỘT"),
        ("Xuân Lộc", "Xuân Lộc"),  # no prefix
        ("Xã", "Xã"),  # nothing would be left
        ("Phường 1", "Phường 1"),  # the number is the name
    ],
)
def test_strip_admin_prefix(text, expected):
    assert strip_admin_prefix(text) == expected


def test_strip_admin_prefix_prefers_the_longest_prefix():
    # "Thị xã" must not be read as "Thị" + the prefix "xã".
    assert strip_admin_prefix("Thị xã Buôn Hồ") == "Buôn Hồ"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Xã Hòa Thắng", "Phường Hoà Thắng"),
        ("Biên Hòa", "bien hoa"),
        ("Thành phố Biên Hòa", "Biên Hòa"),
        ("ĐẮK LẮK", "Tỉnh Đắk Lắk"),
    ],
)
def test_similar_is_one_for_the_same_name_written_differently(a, b):
    assert similar(a, b) == 1.0


def test_similar_ranks_near_names_above_distant_ones():
    assert similar("Long Khánh", "Long Thành") > similar("Long Khánh", "Cẩm Mỹ")
    assert 0.0 <= similar("Xã A", "Xã B") < 0.5


def test_similar_can_keep_prefixes():
    assert similar("Xã Tân Hòa", "Phường Tân Hòa", strip_prefix=False) < 1.0
    assert similar("Xã Tân Hòa", "Phường Tân Hòa") == 1.0


# --- Vietnamese collation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Duy Xuyên", "Đắk Lắk"),  # Đ is its own letter after D ...
        ("Dương Minh Châu", "Đà Nẵng"),  # ... so every D-word comes first
        ("Điện Biên", "Ea Kar"),  # ... and before E
        ("Đồng Nai", "Tây Ninh"),  # not after T, as code-point order puts it
        ("An Giang", "Ăn"),  # ă and â follow a as letters
        ("Anh Sơn", "Âu Lâu"),
        ("Ơn", "Phú Yên"),
        ("Ut", "Ưng Hòa"),
        ("Ha", "Hà"),  # tones: none, huyền, hỏi, ngã, sắc, nặng
        ("Hà", "Hả"),
        ("Hả", "Hã"),
        ("Hã", "Há"),
        ("Há", "Hạ"),
        ("Hạ", "Hai"),  # letters first, the tone only breaks ties
        ("Hòa An", "Hòa Bình"),
    ],
)
def test_vietnamese_order(before, after):
    assert sort_key(before) < sort_key(after)
    assert compare(before, after) == -1
    assert compare(after, before) == 1


def test_sorting_names_follows_the_vietnamese_alphabet_not_code_points():
    names = ["Tây Ninh", "Đồng Nai", "Bình Dương", "Đắk Lắk", "Điện Biên", "Ea Súp", "Cà Mau"]
    assert sorted(names) != sorted_by_name(names)  # code points put "Đ…" after "T…"
    assert sorted_by_name(names) == [
        "Bình Dương",
        "Cà Mau",
        "Đắk Lắk",
        "Điện Biên",
        "Đồng Nai",
        "Ea Súp",
        "Tây Ninh",
    ]


def test_tone_placement_and_normal_form_do_not_change_the_order():
    assert compare("Hoà Bình", "Hòa Bình") == 0
    assert compare(unicodedata.normalize("NFD", "Đắk Lắk"), "Đắk Lắk") == 0
    assert sorted_by_name([("b", "Hòa Bình"), ("a", "Hoà An")], lambda p: p[1])[0] == (
        "a",
        "Hoà An",
    )
