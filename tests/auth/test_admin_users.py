from registry.auth.models import User
from registry.auth.permissions import Role
from tests.factories import UserFactory


def test_provincial_admin_sees_only_own_province_users(client, auth, db_session):
    admin = UserFactory(username="admin.dl", role=Role.ADMIN, province_code="66")
    UserFactory(username="dl.viewer", province_code="66")
    UserFactory(username="dn.viewer", province_code="75")
    auth.login(admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "dl.viewer" in page
    assert "dn.viewer" not in page


def test_provincial_admin_cannot_open_other_province_user(client, auth, db_session):
    admin = UserFactory(role=Role.ADMIN, province_code="66")
    other = UserFactory(province_code="75")
    auth.login(admin)
    assert client.get(f"/admin/users/{other.id}").status_code == 404


def test_national_admin_creates_user(client, auth, post_form, db_session):
    admin = UserFactory(role=Role.ADMIN, province_code=None)
    auth.login(admin)
    response = post_form(
        "/admin/users/new",
        {
            "username": "new.planner",
            "full_name": "Nguyễn Văn A",
            "role": "planner",
            "province_code": "",
            "password": "long-enough-pass",
            "active": "y",
        },
    )
    assert response.status_code == 302
    created = db_session.query(User).filter_by(username="new.planner").one()
    assert created.role is Role.PLANNER


def test_provincial_admin_cannot_create_national_user(client, auth, post_form, db_session):
    admin = UserFactory(role=Role.ADMIN, province_code="66")
    auth.login(admin)
    response = post_form(
        "/admin/users/new",
        {
            "username": "sneaky",
            "role": "admin",
            "province_code": "",
            "password": "long-enough-pass",
        },
    )
    assert response.status_code == 200  # the form refuses the choice
    assert db_session.query(User).filter_by(username="sneaky").count() == 0


def test_admin_cannot_disable_themselves(client, auth, post_form, db_session):
    admin = UserFactory(role=Role.ADMIN, province_code=None)
    auth.login(admin)
    post_form(f"/admin/users/{admin.id}", {"role": "admin", "province_code": "", "full_name": "x"})
    assert db_session.get(User, admin.id).active is True


def test_user_edit_is_audited_with_changed_fields(client, auth, post_form, db_session):
    from registry.audit.services import history_for

    admin = UserFactory(role=Role.ADMIN, province_code=None)
    target = UserFactory(username="target", role=Role.VIEWER, province_code=None, full_name="A")
    auth.login(admin)
    post_form(
        f"/admin/users/{target.id}",
        {"role": "planner", "province_code": "", "full_name": "A", "active": "y"},
    )
    latest = history_for(db_session, "users", target.id)[0]
    assert latest.action == "update"
    assert latest.changes == {"role": ["viewer", "planner"]}
    assert latest.actor_label == admin.username
