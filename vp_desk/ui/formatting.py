"""Formatting of dates, money and verification for the window, in the agent's locale."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDateTime, QLocale, QTimeZone

from vp_desk.api.models import Customer


def tr(text: str) -> str:
    """Translate ``text`` in the ``formatting`` context."""
    return QCoreApplication.translate("formatting", text)


def N_(text: str) -> str:  # noqa: N802 - the usual name of a no-op translation marker
    """Mark ``text`` for translation in the ``formatting`` context without translating it."""
    return str(QT_TRANSLATE_NOOP("formatting", text))


def _local(moment: datetime) -> QDateTime:
    utc = QDateTime.fromMSecsSinceEpoch(
        int(moment.timestamp() * 1000), QTimeZone(QTimeZone.Initialization.UTC)
    )
    return utc.toLocalTime()


def _is_c_locale(locale: QLocale) -> bool:
    # The C locale, common on servers and in containers, writes dates as "11 02 2024";
    # ISO 8601 reads the same everywhere.
    return locale.language() == QLocale.Language.C


def format_date(moment: datetime) -> str:
    """Format the day of ``moment`` in the agent's time zone, short locale format."""
    locale = QLocale()
    if _is_c_locale(locale):
        return _local(moment).toString("yyyy-MM-dd")
    return locale.toString(_local(moment).date(), QLocale.FormatType.ShortFormat)


def format_datetime(moment: datetime) -> str:
    """Format ``moment`` in the agent's time zone, short locale format."""
    locale = QLocale()
    if _is_c_locale(locale):
        return _local(moment).toString("yyyy-MM-dd HH:mm")
    return locale.toString(_local(moment), QLocale.FormatType.ShortFormat)


def format_clock_time(moment: datetime) -> str:
    """Format the time of day of ``moment`` in the agent's time zone, such as ``14:05``."""
    return _local(moment).toString("HH:mm")


def format_datetime_utc(moment: datetime) -> str:
    """Format ``moment`` as ISO 8601 UTC, for tooltips and copied details."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


# Marked for extraction with QT_TRANSLATE_NOOP, translated when shown.
_AGE_UNITS = (
    (365 * 24 * 3600, N_("1 year ago"), N_("{count} years ago")),
    (30 * 24 * 3600, N_("1 month ago"), N_("{count} months ago")),
    (7 * 24 * 3600, N_("1 week ago"), N_("{count} weeks ago")),
    (24 * 3600, N_("1 day ago"), N_("{count} days ago")),
    (3600, N_("1 hour ago"), N_("{count} hours ago")),
    (60, N_("1 minute ago"), N_("{count} minutes ago")),
)


def format_age(moment: datetime, now: datetime | None = None) -> str:
    """Say how long ago ``moment`` was, such as "3 days ago", in its largest whole unit."""
    seconds = ((now or datetime.now(UTC)) - moment).total_seconds()
    if seconds < 0:
        return tr("in the future")

    # TODO: move to Qt numerus forms (%n) once translations ship; these are English plurals.
    for unit, one, many in _AGE_UNITS:
        count = int(seconds // unit)
        if count == 1:
            return tr(one)
        if count > 1:
            return tr(many).format(count=count)
    return tr("just now")


def format_timestamp(moment: datetime, now: datetime | None = None) -> str:
    """Format ``moment`` in the agent's time zone with its age, such as "... (3 days ago)"."""
    return f"{format_datetime(moment)} ({format_age(moment, now)})"


def format_money(amount: Decimal, currency: str) -> str:
    """Format ``amount`` with the locale's separators and the currency's code.

    The code, not a symbol, follows the number: agents serve stores in many currencies,
    and "$" alone does not tell US from Australian dollars.
    """
    exponent = amount.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    # Display only: a double carries 15 significant digits, far beyond any cart.
    number = QLocale().toString(float(amount), "f", decimals)
    return f"{number}\u00a0{currency}"


def verification_text(customer: Customer) -> str:
    """Say which of the customer's contact details are verified."""
    phone = customer.is_phone_verified and customer.phone_number
    email = customer.is_email_verified and customer.email
    if phone and email:
        return tr("Phone, email")
    if phone:
        return tr("Phone")
    if email:
        return tr("Email")
    return tr("None")
