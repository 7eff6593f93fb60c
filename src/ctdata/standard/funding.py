"""A project's donors and what each gave: the one reading of the projects table's ``donor`` field.

A project is often funded by several donors. The field lists them separated by
``;`` and may give each one's amount after a colon::

    Netherlands: 500000; Norway: 300000; Italy

Donors without an amount share what the listed amounts leave of the project's
amount, equally; with no amount at all, the project's amount is split equally
between its donors. Amounts that add up to more than the project's amount are
refused (the import quarantines the row), so the per-donor figures always sum
to the project's amount.
"""

from __future__ import annotations

from dataclasses import dataclass

SEPARATOR = ";"


@dataclass(frozen=True)
class DonorShare:
    """One donor of a project and the amount (USD) attributed to it."""

    donor: str
    amount: float


def _amount(text: str, donor: str) -> float:
    try:
        value = float(text.replace(",", "").replace("$", "").strip())
    except ValueError:
        raise ValueError(f"donor {donor!r}: amount {text.strip()!r} is not a number") from None
    if value < 0:
        raise ValueError(f"donor {donor!r}: amount must not be negative")
    return value


def split_donors(text: str | None, amount: float) -> list[DonorShare]:
    """The donors of a project with their amounts (empty when no donor is named).

    Raises ValueError when a donor is named twice, an amount is not a number, or the given
    amounts exceed ``amount`` (or fall short of it with every donor's amount given).
    """
    if text is None or not str(text).strip():
        return []
    named: list[tuple[str, float | None]] = []
    for part in str(text).split(SEPARATOR):
        if not part.strip():
            continue
        donor, _, amt = part.partition(":")
        donor = " ".join(donor.split())
        if not donor:
            raise ValueError(f"donor list {text!r}: an amount has no donor")
        if any(d.casefold() == donor.casefold() for d, _ in named):
            raise ValueError(f"donor {donor!r} is named twice")
        named.append((donor, _amount(amt, donor) if amt.strip() else None))
    given = sum(a for _, a in named if a is not None)
    open_ = [d for d, a in named if a is None]
    tolerance = 0.005 * max(amount, 1.0) + 0.01
    if given > amount + tolerance:
        raise ValueError(f"donor amounts ({given:,.0f}) exceed the project's amount ({amount:,.0f})")
    if not open_ and abs(given - amount) > tolerance:
        raise ValueError(f"donor amounts ({given:,.0f}) do not add up to the project's amount ({amount:,.0f})")
    rest = max(amount - given, 0.0) / len(open_) if open_ else 0.0
    return [DonorShare(d, a if a is not None else rest) for d, a in named]


def format_donors(shares: list[DonorShare]) -> str:
    """The field's text for a list of donor shares (the inverse of :func:`split_donors`)."""
    return "; ".join(f"{s.donor}: {s.amount:.2f}".rstrip("0").rstrip(".") for s in shares)
