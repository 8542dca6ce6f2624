import re

import pytest

from registry.auth.permissions import Role
from tests.factories import UserFactory

EVERYONE = {"facilities", "map", "planning", "geography", "investment", "demand", "referrals"}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.ADMIN, EVERYONE | {"audit", "users", "licensing"}),
        (Role.PLANNER, EVERYONE),
        (Role.LICENSING_OFFICER, EVERYONE | {"licensing"}),
        (Role.INVESTMENT_OFFICER, EVERYONE),
        (Role.REPORTER, EVERYONE | {"audit"}),
        (Role.VIEWER, EVERYONE),
    ],
)
def test_navigation_shows_what_the_role_may_open(client, auth, db_session, role, expected):
    auth.login(UserFactory(role=role, province_code="75"))
    page = client.get("/").get_data(as_text=True)
    nav = page.split('data-testid="main-nav"')[1].split("</ul>")[0]
    assert set(re.findall(r'data-nav="([a-z]+)"', nav)) == expected
