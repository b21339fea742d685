"""The one search box: every kind of input, ranking, filters, incremental index."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shopdesk.domain.customer_rules import CustomerInput
from shopdesk.errors import ValidationError
from shopdesk.search.filters import SearchFilters
from shopdesk.search.index import WordIndex, max_typos
from shopdesk.shop import Shop

PEOPLE = [
    dict(first_name="José", last_name="Müller", phone="07400 123456", email="jose.m@example.com",
         address_line1="14 Wellington Street", city="Leeds", postcode="LS1 4AP"),
    dict(first_name="John", last_name="Smith", phone="07911 123457", email="jsmith@mail.co.uk",
         city="York", postcode="YO1 7HH", marketing_opt_in=True, preferred_contact="email"),
    dict(first_name="Joan", last_name="Smithson", phone="+33 6 12 34 56 78", country="FR",
         city="Lyon", customer_type="business", company="Lyon Phone Fix"),
    dict(first_name="Chloé", last_name="Dubois", phone="+49 151 23456789", country="DE",
         city="Berlin", preferred_contact="whatsapp"),
]


@pytest.fixture
def people(shop: Shop) -> dict[str, object]:
    return {p["last_name"]: shop.customers.register(CustomerInput(**p)).customer  # type: ignore[arg-type]
            for p in PEOPLE}


def top(shop: Shop, text: str, n: int = 5, **filters: object) -> list[str]:
    hits = shop.search(text, n, SearchFilters(**filters) if filters else None)  # type: ignore[arg-type]
    return [h.name.split()[-1] for h in hits]


@pytest.mark.parametrize("query", [
    "muller", "Müller", "jose muller", "muller jose", "josé müler", "jsoe muller",
    "jose mul", "jos", "mueller jose",
])
def test_names_in_any_order_with_typos_accents_and_prefixes(
        shop: Shop, people: dict[str, object], query: str) -> None:
    assert top(shop, query)[0] == "Müller"


def test_exact_words_rank_above_prefixes_and_typos(shop: Shop, people: dict[str, object]) -> None:
    assert top(shop, "smith") == ["Smith", "Smithson"]
    assert top(shop, "smithson")[0] == "Smithson"
    assert top(shop, "john smith")[0] == "Smith"


@pytest.mark.parametrize("query", ["07400 123456", "07400-123456", "+447400123456",
                                   "0044 7400 123456", "123456", "3456", "07400 12"])
def test_phones_in_any_shape(shop: Shop, people: dict[str, object], query: str) -> None:
    assert top(shop, query)[0] == "Müller"


def test_exact_phone_beats_suffix(shop: Shop, people: dict[str, object]) -> None:
    # 07911 123457 ends in ...3457, and so does nothing else; "12345" is a
    # suffix of none but a prefix of both national numbers' tails.
    assert top(shop, "07911 123457") == ["Smith"]
    assert top(shop, "+33 6 12 34 56 78")[0] == "Smithson"


@pytest.mark.parametrize("query,who", [
    ("jose.m@example.com", "Müller"), ("JOSE.M@", "Müller"), ("jsmith", "Smith"),
    ("jsmith@mail", "Smith"), ("jose.m", "Müller")])
def test_email_full_or_start_any_case(shop: Shop, people: dict[str, object], query: str,
                                      who: str) -> None:
    assert top(shop, query)[0] == who


def test_code_company_and_address_parts(shop: Shop, people: dict[str, object]) -> None:
    code = people["Dubois"].code  # type: ignore[attr-defined]
    assert top(shop, code.lower()) == ["Dubois"]
    assert top(shop, "lyon phone")[0] == "Smithson"
    assert top(shop, "LS1 4AP") == ["Müller"]
    assert top(shop, "ls14ap") == ["Müller"]
    assert top(shop, "wellington") == ["Müller"]
    assert top(shop, "berlin") == ["Dubois"]


def test_recency_breaks_ties(shop: Shop) -> None:
    older = shop.customers.register(CustomerInput(first_name="Sam", last_name="Lee",
                                                  phone="07400 000001")).customer
    newer = shop.customers.register(CustomerInput(first_name="Sam", last_name="Lee",
                                                  phone="07400 000002")).customer
    assert [h.id for h in shop.search("sam lee")] == [newer.id, older.id]
    shop.customers.update(older.id, {"notes": "came back"})
    assert [h.id for h in shop.search("sam lee")] == [older.id, newer.id]


def test_new_and_edited_customers_are_found_at_once(shop: Shop,
                                                    people: dict[str, object]) -> None:
    assert top(shop, "okafor") == []
    zoe = shop.customers.register(CustomerInput(first_name="Zoë", last_name="Okafor",
                                                phone="07400 555555")).customer
    assert top(shop, "zoe okafor") == ["Okafor"]
    shop.customers.update(zoe.id, {"last_name": "Adeyemi"})
    assert top(shop, "okafor") == []
    assert top(shop, "zoe adeyemi") == ["Adeyemi"]
    built = shop.search_engine.build_seconds
    shop.search("anything")
    assert shop.search_engine.build_seconds == built  # never rebuilt


def test_imported_customers_are_indexed(shop: Shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shop.search("warm")  # the index exists before the import
    source = tmp_path / "in.csv"
    source.write_text("first_name,last_name,phone\nPriya,Raghunathan,07400 777777\n",
                      encoding="utf-8")
    shop.transfer.import_csv(source)
    assert top(shop, "priya ragunathan") == ["Raghunathan"]


def test_filters_alone_and_with_text(shop: Shop, people: dict[str, object]) -> None:
    assert top(shop, "", customer_type="business") == ["Smithson"]
    assert top(shop, "smith", customer_type="individual") == ["Smith"]
    assert top(shop, "", location="leeds") == ["Müller"]
    assert top(shop, "", location="YO1") == ["Smith"]
    assert top(shop, "", preferred_contact="whatsapp") == ["Dubois"]
    assert top(shop, "", marketing_opt_in=True) == ["Smith"]
    today = date(2026, 11, 24)
    assert len(top(shop, "", 10, registered_from=today, registered_to=today)) == 4
    assert top(shop, "", registered_to=today - timedelta(days=1)) == []
    assert top(shop, "", service_kind="repair") == []
    with pytest.raises(ValidationError) as err:
        shop.search("", filters=SearchFilters(customer_type="alien"))
    assert err.value.errors[0].field == "customer_type"
    with pytest.raises(ValidationError) as err:
        shop.search("", filters=SearchFilters(registered_from=today,
                                              registered_to=today - timedelta(days=3)))
    assert err.value.errors[0].rule == "date_range"


def test_deactivated_customers_can_be_filtered_out(shop: Shop,
                                                   people: dict[str, object]) -> None:
    shop.customers.deactivate(people["Smith"].id, "closed")  # type: ignore[attr-defined]
    assert top(shop, "smith") == ["Smith", "Smithson"]
    assert top(shop, "smith", active_only=True) == ["Smithson"]


def test_word_index_unit() -> None:
    index = WordIndex()
    index.put(1, "njohn nsmith aleeds", 1.0, True)
    index.put(2, "njoan nsmithson", 2.0, True)
    assert [r for r, _ in index.search(["smith"], 5)] == [1, 2]
    assert [r for r, _ in index.search(["jonh", "smiht"], 5)] == [1]
    index.put(1, "njohn njones", 3.0, True)  # an edit replaces the words
    assert [r for r, _ in index.search(["smith"], 5)] == [2]
    assert [r for r, _ in index.search(["leeds"], 5)] == []
    assert len(index) == 2
    assert (max_typos("ab"), max_typos("jose"), max_typos("muller"), max_typos("vescpci")) == (
        0, 1, 2, 3)


def test_cli_search_text_json_and_batch(shop: Shop, people: dict[str, object], tmp_path,  # type: ignore[no-untyped-def]
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from shopdesk.cli import main

    root = str(shop.root)
    assert main(["search", "jsoe muller", "--data-dir", root]) == 0
    out = capsys.readouterr()
    assert "José Müller" in out.out and "+447400123456" in out.out
    assert main(["search", "07911 123457", "--json", "--limit", "3", "--data-dir", root]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["query"] == "07911 123457" and record["ms"] >= 0
    assert [r["name"] for r in record["results"]] == ["John Smith"]
    assert set(record["results"][0]) == {"id", "code", "name", "phone", "email", "score"}
    batch = tmp_path / "queries.txt"
    batch.write_text("smith\n\nberlin\nnobody-at-all-xyz\n", encoding="utf-8")
    assert main(["search", "--batch", str(batch), "--data-dir", root]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["query"] for line in lines] == ["smith", "berlin", "nobody-at-all-xyz"]
    assert [r["name"] for r in lines[0]["results"]] == ["John Smith", "Joan Smithson"]
    assert lines[2]["results"] == []
    assert main(["search", "--data-dir", root]) == 1
    assert "give either TEXT or --batch FILE" in capsys.readouterr().err
    assert main(["search", "nobody-at-all-xyz", "--data-dir", root]) == 1


def test_whole_name_and_order_win_ties() -> None:
    index = WordIndex()
    index.put(1, "nvitor ngabriel nnogueira", 9.0, True)  # more recent, longer name
    index.put(2, "nvitor nnogueira", 1.0, True)
    index.put(3, "nstacey nowen", 9.0, True)
    index.put(4, "nowen nstanton", 1.0, True)
    assert [r for r, _ in index.search(["vitor", "nogueira"], 5)] == [2, 1]
    assert next(r for r, _ in index.search(["owen", "sta"], 5)) == 4


def test_one_row_word_answers_one_query_word() -> None:
    index = WordIndex()
    index.put(1, "njan nminkina", 9.0, True)
    index.put(2, "njan njanowiak", 1.0, True)
    assert [r for r, _ in index.search(["jan", "jan"], 5)] == [2]
