"""ISO 8601 durations (`PT45S`, `P1DT2H`), as the seeds write them."""

from __future__ import annotations


def iso_duration(seconds: float) -> str:
    """`seconds` as days, hours, minutes and seconds (to the tenth); `PT0S` for nothing."""
    tenths = max(0, round(seconds * 10))
    days, rest = divmod(tenths, 864000)
    hours, rest = divmod(rest, 36000)
    minutes, rest = divmod(rest, 600)
    secs = f"{rest // 10}.{rest % 10}" if rest % 10 else str(rest // 10)
    clock = (
        (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{secs}S" if rest else "")
    )
    if not days and not clock:
        return "PT0S"
    return "P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")
