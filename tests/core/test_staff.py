"""Staff accounts: first owner, roles, argon2 secrets, lock-out, the permission table."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shopdesk.domain.permissions import Role
from shopdesk.errors import (
    AccountLocked,
    AuthenticationFailed,
    PermissionDenied,
    ValidationError,
)
from shopdesk.models import Staff
from shopdesk.shop import Shop
from tests.conftest import OWNER_SECRET, Clock


def test_first_start_creates_the_owner_once(bare_shop: Shop) -> None:
    assert bare_shop.needs_owner()
    owner = bare_shop.staff.create_owner("Olivia", "Olivia Owner", "4821")
    assert (owner.username, owner.role, owner.secret_kind) == ("olivia", Role.OWNER, "pin")
    assert not bare_shop.needs_owner()
    with pytest.raises(PermissionDenied):
        bare_shop.staff.create_owner("mallory", "Mallory", "9999")


def test_secrets_are_stored_as_argon2_hashes(shop: Shop) -> None:
    with shop.store.read() as session:
        digest = session.scalar(select(Staff.secret_hash).where(Staff.username == "owner"))
    assert digest is not None and digest.startswith("$argon2id$")
    assert OWNER_SECRET not in digest


def test_sign_in_with_pin_or_password(shop: Shop) -> None:
    shop.staff.create("tech", "Tariq Tech", "technician", "482193")
    info = shop.sign_in("TECH ", "482193")
    assert info.role == Role.TECHNICIAN and shop.actor is not None
    assert shop.actor.name == "Tariq Tech"
    with pytest.raises(AuthenticationFailed, match="wrong username or PIN/password"):
        shop.sign_in("tech", "000000")
    with pytest.raises(AuthenticationFailed, match="wrong username or PIN/password"):
        shop.sign_in("nobody", "000000")


@pytest.mark.parametrize("secret,rule", [("12", "pin_length"), ("123456789", "pin_length"),
                                         ("short", "password_length")])
def test_weak_secrets_are_refused(shop: Shop, secret: str, rule: str) -> None:
    with pytest.raises(ValidationError) as err:
        shop.staff.create("newbie", "New Bie", "front_desk", secret)
    assert (err.value.errors[0].field, err.value.errors[0].rule) == ("secret", rule)


def test_bad_staff_input_names_each_field(shop: Shop) -> None:
    with pytest.raises(ValidationError) as err:
        shop.staff.create("A B", "  ", "front_desk", "1234")
    assert {e.field for e in err.value.errors} == {"username", "display_name"}
    with pytest.raises(ValidationError) as err:
        shop.staff.create("owner", "Dup", "front_desk", "1234")
    assert err.value.errors[0].rule == "unique"
    with pytest.raises(ValidationError) as err:
        shop.staff.create("x1", "X", "janitor", "1234")
    assert err.value.errors[0].field == "role"


def test_lock_out_after_repeated_failures_survives_restart(
        shop: Shop, clock: Clock) -> None:
    shop.settings.set("security.max_failed_signins", "3")
    shop.settings.set("security.lockout_minutes", "10")
    shop.staff.create("fd", "Fiona Desk", "front_desk", "1111")
    for _ in range(2):
        with pytest.raises(AuthenticationFailed):
            shop.sign_in("fd", "9999")
    with pytest.raises(AccountLocked, match="locked for 10 min"):
        shop.sign_in("fd", "9999")
    # Even the right PIN is refused while locked, also after reopening the shop.
    reopened = Shop.open(shop.root, clock=clock)
    with pytest.raises(AccountLocked, match="try again in"):
        reopened.sign_in("fd", "1111")
    clock.advance(minutes=11)
    assert reopened.sign_in("fd", "1111").username == "fd"
    reopened.close()
    shop.sign_in("owner", OWNER_SECRET)
    actions = [e.action for e in shop.audit.entries(entity="staff")]
    assert actions.count("sign_in_failed") == 2 and "locked" in actions


def test_only_managers_and_owners_manage_staff(shop: Shop) -> None:
    shop.staff.create("sup", "Sam Super", "supervisor", "2222")
    shop.staff.create("mgr", "Mia Manager", "manager", "3333")
    shop.sign_in("sup", "2222")
    with pytest.raises(PermissionDenied):
        shop.staff.list()
    with pytest.raises(PermissionDenied):
        shop.staff.create("x", "X", "front_desk", "1234")
    with pytest.raises(PermissionDenied):
        shop.audit.entries()
    shop.sign_in("mgr", "3333")
    assert {s.username for s in shop.staff.list()} == {"owner", "sup", "mgr"}
    shop.staff.create("fd", "Fiona Desk", "front_desk", "1234")
    with pytest.raises(PermissionDenied, match="may not create a Owner"):
        shop.staff.create("boss", "Boss", "owner", "1234")


def test_update_staff_and_guard_the_last_owner(shop: Shop) -> None:
    fd = shop.staff.create("fd", "Fiona Desk", "front_desk", "1234")
    info, changes = shop.staff.update(fd.id, role="supervisor", display_name="Fiona D.",
                                      secret="5678")
    assert (info.role, info.display_name, changes.staff) == (Role.SUPERVISOR, "Fiona D.", True)
    assert shop.sign_in("fd", "5678")
    shop.sign_in("owner", OWNER_SECRET)
    owner_id = next(s.id for s in shop.staff.list() if s.username == "owner")
    with pytest.raises(PermissionDenied, match="your own account"):
        shop.staff.update(owner_id, is_active=False)
    with pytest.raises(PermissionDenied, match="last active owner"):
        shop.staff.update(owner_id, role="manager")
    shop.staff.update(fd.id, is_active=False)
    with pytest.raises(AuthenticationFailed):
        shop.sign_in("fd", "5678")


def test_everyone_may_list_assignable_staff_without_secrets(shop: Shop) -> None:
    shop.staff.create("tech", "Tariq Tech", "technician", "482193")
    fd = shop.staff.create("fd", "Fiona Desk", "front_desk", "1111")
    shop.staff.update(fd.id, is_active=False)
    shop.staff.create("fd2", "Frank Desk", "front_desk", "2222")
    shop.sign_in("fd2", "2222")
    people = shop.staff.assignable()
    assert [p.username for p in people] == ["tech", "fd2", "owner"]
    assert all(p.secret_kind == "" and p.locked_until is None for p in people)
