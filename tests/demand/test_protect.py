"""Small-number protection, pure."""

from __future__ import annotations

import pytest

from registry.demand import protect


@pytest.mark.parametrize(
    ("value", "permitted", "text", "suppressed"),
    [
        (3, False, "< 5", True),
        (3, True, "3", False),
        (0, False, "0", False),
        (4, False, "< 5", True),
        (5, False, "5", False),
        (1200, False, "1.200", False),
        (None, False, "", False),
    ],
)
def test_show_bands_values_below_the_threshold_for_readers_without_permission(
    value, permitted, text, suppressed
):
    shown = protect.show(value, 5, permitted=permitted)
    assert (shown.text, shown.suppressed) == (text, suppressed)
    assert shown.json() == ("< 5" if suppressed else value)


def test_a_banded_part_bands_its_partner_so_the_total_cannot_give_it_back():
    total, male, female = protect.show_parts(9, 7, 2, 5, permitted=False)
    assert total.text == "9"
    assert male.suppressed
    assert female.suppressed
    assert male.value is None
    assert female.value is None


def test_parts_are_shown_as_they_are_to_a_permitted_reader():
    total, male, female = protect.show_parts(9, 7, 2, 5, permitted=True)
    assert (total.value, male.value, female.value) == (9, 7, 2)


def test_a_sum_holding_a_banded_term_is_rounded_to_tens():
    shown = protect.show_sum([3, 40, 22], 5, permitted=False)
    assert shown.suppressed
    assert shown.text == "≈ 60"
    assert protect.show_sum([3, 40, 22], 5, permitted=True).value == 65
    assert protect.show_sum([10, 40], 5, permitted=False).value == 50
    assert protect.show_sum([1, 2], 5, permitted=False).text == "< 5"
