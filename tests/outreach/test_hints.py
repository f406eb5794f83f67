"""Personal-data hints on notes: e-mail addresses, phone and ID-like numbers, in any script."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navigator.outreach.hints import EMAIL, ID_NUMBER, PHONE, personal_data_hints


@pytest.mark.parametrize("text", [
    "write to maria@example.org",
    "MARIA.LOPEZ+clinic@mail.example.co.uk",
    "maria @ example.org",
    "maria＠example.org",                      # full-width at sign
    "contacto: josé@correo.example",
    "user@مثال.com",
])
def test_email_addresses(text):
    assert personal_data_hints(text) == [EMAIL]


@pytest.mark.parametrize("text", [
    "call her on 0712 345 678",
    "+44 20 7946 0958",
    "(555) 123-4567",
    "555-1234",
    "06.12.34.56.78",                        # French, with dots
    "+254712345678",
    "٠٧١٢٣٤٥٦٧٨",                            # Arabic-Indic digits
    "رقمه ٠٧١٢ ٣٤٥ ٦٧٨",
    "۰۹۱۲۳۴۵۶۷۸۹",                           # Extended Arabic-Indic (Persian, Urdu)
    "फ़ोन ९८७६५४३२१०",                         # Devanagari
    "০১৭১২৩৪৫৬৭৮",                           # Bengali
    "０９０－１２３４－５６７８",                  # full-width digits and dash
])
def test_phone_numbers(text):
    assert personal_data_hints(text) == [PHONE]


@pytest.mark.parametrize("text", [
    "passport X1234567",
    "ID AB-123456-C",
    "SSN 123-45-6789",
    "card 4111 1111 1111 1111",
    "national id 19850312123",
    "رقم الهوية A١٢٣٤٥٦٧",                     # letters with Arabic-Indic digits
])
def test_id_like_numbers(text):
    assert personal_data_hints(text) == [ID_NUMBER]


@pytest.mark.parametrize("text", [
    "",
    "12 people came, 5 women and 7 men",
    "Session on 2024-05-12 from 10:30 to 12:00",
    "on 12/05/2024 and 3.4.2024",
    "planning for 2023-2024",
    "We helped 150 people install apps; 1,200 leaflets",
    "Room 101, bus 45, version 3.2.1 of the app",
    "COVID-19 and H5N1 questions",
    "ages 18-29: 4, 30-49: 8",
    "٢٠٢٤-٠٥-١٢ جلسة مع ١٢ شخصا",              # a date and a count in Arabic-Indic digits
    "Talked about privacy settings on WhatsApp",
])
def test_ordinary_notes_raise_no_hint(text):
    assert personal_data_hints(text) == []


def test_several_kinds_in_a_fixed_order_each_once():
    text = "ID X1234567, phone 0712 345 678, 0722 111 222, mail a@b.org"
    assert personal_data_hints(text) == [EMAIL, PHONE, ID_NUMBER]


@settings(deadline=None)  # a loaded test machine is no reason to fail
@given(st.text(max_size=300))
def test_any_text_gives_known_kinds_without_error(text):
    kinds = personal_data_hints(text)
    assert set(kinds) <= {EMAIL, PHONE, ID_NUMBER} and len(kinds) == len(set(kinds))


@settings(deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Nd", "No", "Nl"),
                                      blacklist_characters="@＠﹫"), max_size=200))
def test_text_without_digits_or_at_signs_is_clean(text):
    assert personal_data_hints(text) == []
