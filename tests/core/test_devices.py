"""Devices: IMEI checks, TAC suggestions, owners and history across owners."""

from __future__ import annotations

import pytest

from shopdesk.domain import imei as imeis
from shopdesk.errors import NotFound, ValidationError
from shopdesk.shop import Shop
from tests.core.repair_helpers import (
    GALAXY,
    IPHONE,
    IPHONE_2,
    counts,
    customer,
    phone_input,
)


@pytest.mark.parametrize("text", ["490154203237518", "4901 5420 3237 518",
                                  "49-015420-323751-8", "356938035643809"])
def test_valid_imeis_pass_the_luhn_check(text: str) -> None:
    assert imeis.is_valid_imei(text)
    assert imeis.clean_imei(text) == imeis.strip_separators(text)


@pytest.mark.parametrize("text,rule", [("490154203237519", "imei_check_digit"),
                                       ("490154203237510", "imei_check_digit"),
                                       ("49015420323751", "imei_format"),
                                       ("4901542032375180", "imei_format"),
                                       ("49015420323751A", "imei_format")])
def test_invalid_imeis_are_refused(text: str, rule: str) -> None:
    with pytest.raises(ValidationError) as err:
        imeis.clean_imei(text)
    assert err.value.errors[0].rule == rule
    assert not imeis.is_valid_imei(text)


def test_check_digit_message_names_the_expected_digit() -> None:
    with pytest.raises(ValidationError, match="check digit should be 8"):
        imeis.clean_imei("490154203237519")


def test_tac_and_serial_normalisation() -> None:
    assert imeis.tac("35-391110-123456-0") == "35391110"
    assert imeis.normalize_serial(" c02-xk 12 ") == "C02XK12"
    with pytest.raises(ValidationError) as err:
        imeis.clean_serial("a!")
    assert err.value.errors[0].rule == "serial_format"


def test_register_and_find_by_imei_imei2_or_serial(shop: Shop) -> None:
    owner = customer(shop)
    saved = shop.devices.register(owner, phone_input(imei2=GALAXY, serial="f2l-xk 1"))
    device = saved.device
    assert device.tac == IPHONE[:8] and device.customer_id == owner
    assert saved.changes.devices == {device.id}
    assert shop.devices.find(IPHONE[:5] + " " + IPHONE[5:]) == device
    assert shop.devices.find(GALAXY) == device
    assert shop.devices.find("F2LXK1") == device
    assert shop.devices.find("nothing") is None
    assert shop.devices.for_customer(owner) == [device]


def test_invalid_imei_changes_nothing(shop: Shop) -> None:
    owner = customer(shop)
    before = counts(shop)
    with pytest.raises(ValidationError) as err:
        shop.devices.register(owner, phone_input(IPHONE[:-1] + str((int(IPHONE[-1]) + 1) % 10)))
    assert err.value.errors[0].rule == "imei_check_digit"
    assert counts(shop) == before


def test_imei_is_unique_across_both_columns(shop: Shop) -> None:
    owner = customer(shop)
    shop.devices.register(owner, phone_input(imei2=GALAXY))
    before = counts(shop)
    with pytest.raises(ValidationError) as err:
        shop.devices.register(owner, phone_input(GALAXY))
    assert err.value.errors[0].rule == "unique"
    assert counts(shop) == before


def test_model_suggested_from_an_earlier_device_with_the_same_tac(shop: Shop) -> None:
    owner = customer(shop)
    assert shop.devices.suggest_model(IPHONE) is None
    shop.devices.register(owner, phone_input())
    assert shop.devices.suggest_model(IPHONE_2) == ("Apple", "iPhone 13")
    assert shop.devices.suggest_model(GALAXY) is None
    assert shop.devices.suggest_model("123") is None


def test_update_checks_the_rules(shop: Shop) -> None:
    owner = customer(shop)
    device = shop.devices.register(owner, phone_input()).device
    saved = shop.devices.update(device.id, {"condition": "poor", "model": "iPhone 13 Pro"})
    assert (saved.device.condition, saved.device.model) == ("poor", "iPhone 13 Pro")
    with pytest.raises(ValidationError):
        shop.devices.update(device.id, {"imei": "123"})
    assert shop.devices.get(device.id).imei == IPHONE


def test_owner_change_keeps_history(shop: Shop) -> None:
    first = customer(shop)
    second = customer(shop, "07400 123457", "Ben")
    device = shop.devices.register(first, phone_input()).device
    moved = shop.devices.change_owner(device.id, second)
    assert moved.device.customer_id == second
    assert shop.devices.for_customer(first) == []
    history = shop.devices.history(device.id)
    assert [o.customer_id for o in history.owners] == [first, second]
    assert history.owners[0].to_at is not None and history.owners[1].to_at is None
    with pytest.raises(ValidationError):
        shop.devices.change_owner(device.id, second)


def test_history_of_unknown_identifier(shop: Shop) -> None:
    with pytest.raises(NotFound):
        shop.devices.history_of(IPHONE)


@pytest.mark.parametrize("text,expected", [("12.50", "12.50"), ("12,50", "12.50"),
                                           ("1,234.5", "1234.50"), ("£7", "7.00"),
                                           ("0.005", "0.01")])
def test_money_parsing(text: str, expected: str) -> None:
    from decimal import Decimal

    from shopdesk.domain.money import amount
    assert amount(text, "x") == Decimal(expected)


@pytest.mark.parametrize("value,rule", [("-1", "money_negative"), ("abc", "money_format"),
                                        (1.5, "money_format"), ("1e3x", "money_format")])
def test_money_refusals(value: object, rule: str) -> None:
    from shopdesk.domain.money import amount
    with pytest.raises(ValidationError) as err:
        amount(value, "price")  # type: ignore[arg-type]
    assert err.value.errors[0].rule == rule
