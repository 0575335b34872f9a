"""Contact screening: phone numbers and emails are found however they are written; times, dates, prices are not."""
# ruff: noqa: RUF001 - Russian text and full-width digits are the point of these cases

from __future__ import annotations

import pytest

from plugins.groups.chat.screening import emails, has_contacts, phone_numbers

PHONES = ["+7 (999) 123-45-67", "8 999 123 45 67", "звони 89991234567", "999 123 45 67", "+44 7911 123456",
          "123-456-7890", "8-9-9-9-1-2-3-4-5-6-7", "8.999.123.45.67", "8 (999) 1234567", "8 9 9 9 1 2 3 4 5 6 7",
          "+7 999 123 45 67 и 8 999 765 43 21", "tel:+79991234567", "８９９９１２３４５６７"]
EMAILS = ["write ada@example.org", "ada.l+x@mail.ru pls", "Ada@Example.COM", "ada (at) example (dot) com",
          "ada at example dot com", "ada собака mail точка ru", "ada[at]mail.ru", "ada @ mail . ru"]
CLEAN = ["встречаемся в 19:00", "билет 1500 руб", "2026-12-01", "2026-12-01 19:00", "01.12.2026 в 19:00",
         "1 500 000 ₽", "500 1000 1500", "see you at home. Tomorrow", "meet at the cafe dot", "100-200 people",
         "с 10 до 12 декабря", "I am at 5th avenue.", "price 2500, 3000, 4500 and 10000", "@ada", "v1.2.3",
         "email me later", "Room 12, 14:30-16:00, 2026-12-01", "2026-12-01T19:00", "7:30:15", "call me maybe",
         "Sat 12/12/26 at 18:00, 4 people, 2 500 руб each"]


@pytest.mark.parametrize("text", PHONES)
def test_phone_numbers_are_found(text: str) -> None:
    assert phone_numbers(text) and has_contacts(text)


@pytest.mark.parametrize("text", EMAILS)
def test_emails_are_found(text: str) -> None:
    assert emails(text) and has_contacts(text)


@pytest.mark.parametrize("text", CLEAN)
def test_times_dates_prices_and_plain_words_are_not(text: str) -> None:
    assert not has_contacts(text), (phone_numbers(text), emails(text))
