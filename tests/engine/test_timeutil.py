import datetime as dt
from zoneinfo import ZoneInfo

from calendar_sync_base.services.timeutil import as_aware, aware_utc, naive_utc

UTC = dt.timezone.utc
PARIS = ZoneInfo("Europe/Paris")


def test_a_naive_datetime_means_utc():
    naive = dt.datetime(2024, 6, 1, 9, 30)
    assert as_aware(naive) == dt.datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
    assert aware_utc(naive).tzinfo is UTC
    assert naive_utc(naive) is naive


def test_an_aware_datetime_keeps_its_instant():
    paris = dt.datetime(2024, 6, 1, 11, 30, tzinfo=PARIS)
    assert as_aware(paris).tzinfo is PARIS, "its own zone is kept"
    assert aware_utc(paris) == dt.datetime(2024, 6, 1, 9, 30, tzinfo=UTC)
    assert aware_utc(paris).tzinfo is UTC
    assert naive_utc(paris) == dt.datetime(2024, 6, 1, 9, 30)


def test_no_value_and_dates_pass_through():
    assert as_aware(None) is None and as_aware(False) is None, "False: Odoo's empty field"
    assert aware_utc(None) is None
    assert naive_utc(None) is None
    assert naive_utc(dt.date(2024, 6, 1)) == dt.date(2024, 6, 1)
