"""The yearly follow-up's charts (§ 10): already-aggregated figures -> one PNG, drawn off screen."""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from screening.errors import BadInput

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LABELS = {
    "title": "Uppföljning enligt 0–17-överenskommelsen (§ 10)\n{period}",
    "monthly": "Andel bokade inom fem arbetsdagar per månad och kommun",
    "monthly_note": "Grupper med färre än {threshold} barn under en månad visas inte (sekretess).",
    "breaches": "Missade tidsgränser per ansvarig part (§ 10)",
    "breaches_x": "antal missade tidsgränser",
    "suppressed": "(färre än {threshold})",
    "distribution": "Tid från ankomst till läkarundersökning",
    "distribution_x": "veckor efter ankomst",
    "distribution_y": "antal barn",
    "too_few": "för få barn för att visas (färre än {threshold})",
    "no_data": "inga uppgifter",
    "no_group": "okänd kommun",
}
PARTIES_SV = {
    "reception_unit": "mottagningsenhet",
    "health_centre": "hälsocentral",
    "school": "skola",
    "preschool": "förskola",
    "bvc": "BVC",
    "school_health": "elevhälsa",
    "coordinator": "samordnare",
}
MONTHS_SV = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
MONTHS_LONG_SV = ("januari", "februari", "mars", "april", "maj", "juni",
                  "juli", "augusti", "september", "oktober", "november", "december")
_SV_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}"})  # Swedish collation: … z å ä ö

SIZE_INCHES, DPI = (8.0, 11.0), 125  # A4-ish portrait: 1000 × 1375 px


def draw(path: str | Path, *, period: tuple[date, date], monthly: list[dict], breaches: dict[str, int | None],
         distribution: list[dict], threshold: int) -> None:
    """Draw the three follow-up charts into one PNG at `path`, atomically (all or nothing)."""
    target = Path(path)
    if not target.name:
        raise BadInput("--chart: '{path}' names no file", path=path)
    fig = figure(period=period, monthly=monthly, breaches=breaches, distribution=distribution, threshold=threshold)
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temp, "xb") as out:
            fig.savefig(out, format="png")
        os.replace(temp, target)
    except BaseException as error:
        temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise BadInput("cannot write the chart to {path}: {reason}", path=target,
                               reason=error.strerror or str(error)) from None
        raise


def figure(*, period: tuple[date, date], monthly: list[dict], breaches: dict[str, int | None],
           distribution: list[dict], threshold: int) -> Figure:
    """The follow-up's figure: months, breaches by party, weeks to examination (one axes each)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(LABELS["title"].format(period=period_sv(*period)), fontsize=12, fontweight="bold")
    top, middle, bottom = fig.subplots(3, 1, height_ratios=(1.3, 1, 1))
    _monthly(top, monthly, period, threshold)
    _breaches(middle, breaches, threshold)
    _distribution(bottom, distribution, threshold)
    return fig


def period_sv(first: date, last: date) -> str:
    """'1 januari–30 juni 2026'; the first year is written only when it differs from the last."""
    start = f"{first.day} {MONTHS_LONG_SV[first.month - 1]}" + (f" {first.year}" if first.year != last.year else "")
    return f"{start}–{last.day} {MONTHS_LONG_SV[last.month - 1]} {last.year}"


def month_sv(month: str) -> str:
    """'2026-01' -> 'jan 2026', whatever the machine's locale."""
    year, number = month.split("-")[:2]
    return f"{MONTHS_SV[int(number) - 1]} {year}"


def months_between(first: date, last: date) -> list[str]:
    """The months a period touches, as 'YYYY-MM'."""
    span = range(first.year * 12 + first.month - 1, last.year * 12 + last.month)
    return [f"{n // 12}-{n % 12 + 1:02d}" for n in span]


def _monthly(ax: Axes, rows: list[dict], period: tuple[date, date], threshold: int) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.set_title(LABELS["monthly"], loc="left")
    months = sorted(set(months_between(*period)) | {row["month"] for row in rows})
    shares: dict[str, dict[str, float]] = {}
    for row in rows:
        group = shares.setdefault(row["group"] or LABELS["no_group"], {})
        if row.get("booked_in_time_share") is not None:
            group[row["month"]] = 100 * row["booked_in_time_share"]
    shown = sorted((g for g, values in shares.items() if values), key=lambda g: g.casefold().translate(_SV_ORDER))
    x = range(len(months))
    for i, group in enumerate(shown):
        ys = [shares[group].get(month, float("nan")) for month in months]  # missing or suppressed: a gap
        ax.plot(x, ys, marker="o", linestyle="-" if i < 10 else "--", label=group, clip_on=False)
    step, slanted = 1 + len(months) // 25, len(months) > 6
    ax.set_xticks(x, [month_sv(m) if i % step == 0 else "" for i, m in enumerate(months)],
                  rotation=45 if slanted else 0, ha="right" if slanted else "center")
    ax.set_xlim(-0.5, max(len(months), 1) - 0.5)
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0f} %"))
    ax.grid(axis="y", alpha=0.3)
    ax.set_xlabel(LABELS["monthly_note"].format(threshold=threshold), loc="left", fontsize=8, style="italic")
    if shown:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    else:
        too_few = any(row.get("notices") for row in rows)
        _no_data(ax, LABELS["too_few"].format(threshold=threshold) if too_few else LABELS["no_data"], clear=False)


def _breaches(ax: Axes, counts: dict[str, int | None], threshold: int) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_title(LABELS["breaches"], loc="left")
    if not counts:
        _no_data(ax, LABELS["no_data"])
        return
    parties = list(PARTIES_SV) + [party for party in counts if party not in PARTIES_SV]
    labels = [PARTIES_SV.get(party, party) for party in parties]
    for i, party in enumerate(parties):
        if party in counts and counts[party] is None:
            labels[i] += " " + LABELS["suppressed"].format(threshold=threshold)
    drawn = [(i, counts.get(party, 0)) for i, party in enumerate(parties) if counts.get(party, 0) is not None]
    bars = ax.barh([i for i, _ in drawn], [count for _, count in drawn], color="tab:red", height=0.6)
    ax.bar_label(bars, fontsize=8, padding=2)
    ax.set_yticks(range(len(parties)), labels)
    ax.set_ylim(len(parties) - 0.4, -0.6)  # the first party on top
    ax.set_xlabel(LABELS["breaches_x"])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.margins(x=0.1)


def _distribution(ax: Axes, rows: list[dict], threshold: int) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_title(LABELS["distribution"], loc="left")
    ax.set_xlabel(LABELS["distribution_x"])
    ax.set_ylabel(LABELS["distribution_y"])
    rows = [row for row in rows if row.get("children")]
    total = sum(row["children"] for row in rows)
    if total == 0:
        _no_data(ax, LABELS["no_data"])
    elif total < threshold:
        _no_data(ax, LABELS["too_few"].format(threshold=threshold))
    else:
        bars = ax.bar([row["weeks"] for row in rows], [row["children"] for row in rows], width=0.9, color="tab:blue")
        ax.bar_label(bars, fontsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.margins(y=0.15)


def _no_data(ax: Axes, text: str, *, clear: bool = True) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=12, color="0.4")
    if clear:
        ax.set_xticks([])
        ax.set_yticks([])
