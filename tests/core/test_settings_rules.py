"""The settings rules the window and `shopdesk settings set` share (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopdesk.errors import ValidationError
from shopdesk.shop import Shop


def refused(shop: Shop, values: dict[str, str]) -> dict[str, str]:
    """Save `values`, expect a refusal; returns {field: message}; nothing changed."""
    before = shop.settings.all()
    audit = len(shop.audit.entries(entity="setting"))
    with pytest.raises(ValidationError) as err:
        shop.settings.set_many(values)
    assert shop.settings.all() == before
    assert len(shop.audit.entries(entity="setting")) == audit
    assert {e.rule for e in err.value.errors} <= {"setting_value", "unknown_setting",
                                                  "control_character"}
    return {e.field: e.message for e in err.value.errors}


def test_set_many_stores_all_or_nothing_and_names_every_bad_field(shop: Shop) -> None:
    bad = refused(shop, {"shop.name": "Fix-It Fast", "shop.tax_rate": "120",
                         "shop.phone": "12ab", "repairs.promised_days": "-1"})
    assert bad == {"shop.tax_rate": "must be between 0 and 100",
                   "shop.phone": "'12ab' is not a phone number (type it with its country "
                                 "code, e.g. +44 7400 123456)",
                   "repairs.promised_days": "must be between 0 and 365"}
    shop.settings.set_many({"shop.name": "Fix-It Fast", "shop.tax_rate": "17.5",
                            "shop.phone": "0113 496 0000", "repairs.promised_days": "5"})
    values = shop.settings.all()
    assert (values["shop.name"], values["shop.tax_rate"], values["shop.phone"],
            values["repairs.promised_days"]) == ("Fix-It Fast", "17.5", "0113 496 0000", "5")
    assert len(shop.audit.entries(entity="setting")) == 4


@pytest.mark.parametrize(("key", "value", "message"), [
    ("shop.name", "   ", "is required"),
    ("shop.name", "Fix\x07It", "contains the control character U+0007 (BEL); remove it"),
    ("shop.address", "1\n2\n3\n4\n5\n6", "must be at most 5 lines"),
    ("shop.address", "12 High St\x00", "contains the control character U+0000 (NUL); remove it"),
    ("shop.phone", "020 7946", "'020 7946' is not a valid phone number for GB"),
    ("shop.survey_url", "fixit.example.com", "'fixit.example.com' is not a web address "
                                             "(e.g. https://example.com/survey)"),
    ("shop.currency", "pounds", "'POUNDS' is not a three-letter ISO 4217 currency code "
                                "(e.g. GBP)"),
    ("print.receipt_paper", "a5", "'a5' is not one of: 80mm, a4, letter"),
])
def test_each_rule_refuses_with_its_reason(shop: Shop, key: str, value: str,
                                           message: str) -> None:
    assert refused(shop, {key: value}) == {key: message}


def test_the_logo_must_be_a_png_or_jpeg_file(shop: Shop, tmp_path: Path) -> None:
    from PIL import Image

    missing = tmp_path / "nowhere.png"
    assert refused(shop, {"shop.logo_path": str(missing)}) == {
        "shop.logo_path": f"'{missing}' is not a file"}
    text = tmp_path / "logo.png"
    text.write_text("not an image")
    assert refused(shop, {"shop.logo_path": str(text)}) == {
        "shop.logo_path": "'logo.png' is not a PNG or JPEG image"}
    gif = tmp_path / "logo.gif"
    Image.new("RGB", (20, 10)).save(gif)
    assert refused(shop, {"shop.logo_path": str(gif)}) == {
        "shop.logo_path": "'logo.gif' is a GIF, not a PNG or JPEG image"}
    good = tmp_path / "logo.jpg"
    Image.new("RGB", (20, 10)).save(good)
    shop.settings.set("shop.logo_path", str(good))
    assert shop.settings.get("shop.logo_path") == str(good.resolve())
    shop.settings.set("shop.logo_path", "")  # no logo
    assert shop.settings.get("shop.logo_path") == ""


def test_a_new_country_checks_the_shops_phone_again(shop: Shop) -> None:
    shop.settings.set("shop.phone", "0113 496 0000")  # a Leeds number, typed nationally
    assert refused(shop, {"phone.default_region": "FR"}) == {
        "shop.phone": "'0113 496 0000' is not a valid phone number for FR"}
    shop.settings.set_many({"phone.default_region": "FR", "shop.phone": "+44 113 496 0000"})
    assert shop.settings.get("phone.default_region") == "FR"


def test_receipts_warn_while_the_address_is_blank(shop: Shop) -> None:
    [warning] = shop.settings.receipt_warnings()
    assert "address is blank" in warning
    shop.settings.set("shop.address", "12 High Street\nLeeds LS1 4AP")
    assert shop.settings.receipt_warnings() == []
    assert shop.settings.get("shop.address") == "12 High Street\nLeeds LS1 4AP"


def test_the_command_line_applies_the_same_rules(shop: Shop, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from shopdesk.cli import main

    shop.close()
    code = main(["--data-dir", str(shop.root), "settings", "set", "shop.tax_rate", "120"])
    assert code == 1
    assert capsys.readouterr().err.strip() == \
        "shopdesk: error: shop.tax_rate: must be between 0 and 100"
