"""Login and logout, the admin site's door, and the language switch."""

from __future__ import annotations

from django.urls import reverse

from dangvien.members.models import Member
from tests.factories import PASSWORD


def test_login_and_logout(client, world):
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200 and 'name="password"' in page.content.decode()
    response = client.post(reverse("accounts:login"), {"username": "xa_a", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1] == (reverse("units:tree"), 302)
    assert "xa_a" in response.content.decode()
    assert reverse("accounts:logout") in response.content.decode()
    # Logout is a POST (a GET link could be triggered by any page).
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert client.get(reverse("members:list")).status_code == 302


def test_wrong_password_shows_error(client, world):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(reverse("accounts:login"), {"username": "xa_a", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_link_and_admin_site_only_for_admin_role(client, world):
    client.force_login(world.officer_a)
    assert reverse("admin:index") not in client.get(reverse("units:tree")).content.decode()
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    # An is_staff flag alone does not open the admin; the admin role does.
    world.officer_a.is_staff = True
    world.officer_a.save()
    assert client.get(reverse("admin:index")).status_code == 302
    client.force_login(world.admin)
    assert reverse("admin:index") in client.get(reverse("units:tree")).content.decode()
    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_login_form_refuses_non_admins(client, world):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(reverse("admin:login"), {"username": "xa_a", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post(reverse("admin:login"), {"username": "sysadmin", "password": PASSWORD,
                                                    "next": reverse("admin:index")})
    assert response.status_code == 302


def test_registry_models_are_read_only_in_admin(client, world):
    client.force_login(world.admin)
    m = world.member_a1
    assert client.get(reverse("admin:members_member_changelist")).status_code == 200
    assert client.get(reverse("admin:members_member_change", args=[m.pk])).status_code == 200
    assert client.get(reverse("admin:members_member_add")).status_code == 403
    response = client.post(reverse("admin:members_member_change", args=[m.pk]), {"full_name": "X"})
    assert response.status_code == 403
    assert client.post(reverse("admin:members_member_delete", args=[m.pk]), {"post": "yes"}).status_code == 403
    assert Member.objects.filter(pk=m.pk, full_name="Nguyễn Thị Hà").exists()
    for name in ["members_memberevent", "org_unit", "core_auditentry"]:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:{name}_add")).status_code == 403
    assert client.get(reverse("admin:accounts_user_add")).status_code == 200
    assert client.get(reverse("admin:accounts_user_change", args=[world.officer_a.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_roleassignment_add")).status_code == 200


def test_role_assignment_in_admin_goes_through_the_service(client, world):
    from dangvien.accounts.models import Role, RoleAssignment
    from dangvien.core.models import AuditEntry

    client.force_login(world.admin)
    before = AuditEntry.objects.count()
    response = client.post(reverse("admin:accounts_roleassignment_add"),
                           {"user": world.officer_b.pk, "role": Role.CELL_SECRETARY, "unit": world.commune_a.pk})
    assert response.status_code == 200  # a secretary is bound to a cell: a form error
    assert not RoleAssignment.objects.filter(user=world.officer_b, role=Role.CELL_SECRETARY).exists()
    response = client.post(reverse("admin:accounts_roleassignment_add"),
                           {"user": world.officer_b.pk, "role": Role.CELL_SECRETARY, "unit": world.cell_a1.pk})
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(user=world.officer_b, role=Role.CELL_SECRETARY, unit=world.cell_a1).exists()
    assert AuditEntry.objects.filter(action="role.grant").count() >= 1
    assert AuditEntry.objects.count() == before + 1


# --- language --------------------------------------------------------------------------------


def test_browser_language_picks_the_page_language(client, world):
    client.force_login(world.officer_a)
    english = client.get(reverse("members:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in english and ">Members</a>" in english and "Log out" in english
    vietnamese = client.get(reverse("members:list"), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '<html lang="vi">' in vietnamese
    assert ">Đảng viên</a>" in vietnamese and "Đăng xuất" in vietnamese, "run `make messages` to compile the .mo"
    # Without a preference the default is Vietnamese.
    assert '<html lang="vi">' in client.get(reverse("members:list")).content.decode()


def test_set_language_switches_and_sticks(client, world):
    client.force_login(world.officer_a)
    url = reverse("members:list")
    response = client.post(reverse("set_language"), {"language": "en", "next": url}, HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert '<html lang="en">' in page and "Log out" in page
    client.post(reverse("set_language"), {"language": "vi", "next": url})
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="vi">' in page and "Đăng xuất" in page
