"""A project's S-curve and timeline, drawn on the server as SVG by matplotlib.

Plain data in, SVG bytes out: the view turns a project into ``SCurve`` / ``Timeline`` values.
Text stays text in the SVG (``svg.fonttype: none``) so Vietnamese labels are searchable and
render in the browser's DejaVu/system font; the Agg backend needs no display.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
from matplotlib.figure import Figure

STYLE: Any = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "svg.fonttype": "none",
    "svg.hashsalt": "registry",  # stable element ids: the same data gives the same file
}


@dataclass(frozen=True)
class SCurve:
    """Planned and actual physical progress (%) and cumulative disbursement as % of the
    approved total, each a list of (date, percent)."""

    title: str
    planned: list[tuple[date, float]] = field(default_factory=list)
    actual: list[tuple[date, float]] = field(default_factory=list)
    disbursed: list[tuple[date, float]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    today: date | None = None


@dataclass(frozen=True)
class Timeline:
    """Stage spans (label, start, end) and milestones (label, planned, actual or None)."""

    title: str
    stages: list[tuple[str, date, date]] = field(default_factory=list)
    milestones: list[tuple[str, date, date | None]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    today: date | None = None


def _svg(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    return out.getvalue()


def _date_axis(ax: object) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)  # type: ignore[attr-defined]
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m/%Y"))  # type: ignore[attr-defined]


def scurve_svg(data: SCurve) -> bytes:
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(7.5, 3.6))
        ax = fig.subplots()
        series = (
            ("planned", data.planned, "#6c757d", "--"),
            ("actual", data.actual, "#0d6efd", "-"),
            ("disbursed", data.disbursed, "#198754", "-."),
        )
        drawn = False
        for key, points, colour, style in series:
            if not points:
                continue
            xs = [p[0] for p in points]
            ys = [p[1] for p in points]
            ax.plot(
                xs,  # type: ignore[arg-type]
                ys,
                style,
                color=colour,
                marker="o",
                markersize=3,
                label=data.labels.get(key, key),
                drawstyle="steps-post" if key == "disbursed" else "default",
            )
            drawn = True
        if data.today is not None and drawn:
            ax.axvline(data.today, color="#dc3545", linewidth=0.8)  # type: ignore[arg-type]
        ax.set_ylim(0, 105)
        ax.set_ylabel("%")
        ax.set_title(data.title, fontsize=10)
        ax.grid(True, linewidth=0.3)
        if drawn:
            _date_axis(ax)
            ax.legend(loc="upper left", fontsize=8)
        else:
            ax.text(
                0.5,
                0.5,
                data.labels.get("empty", "—"),
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
            ax.set_xticks([])
        return _svg(fig)


def timeline_svg(data: Timeline) -> bytes:
    rows = len(data.stages) + len(data.milestones)
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(7.5, max(1.6, 0.32 * rows + 0.9)))
        ax = fig.subplots()
        names: list[str] = []
        y = 0
        for label, start, end in data.stages:
            width = max((end - start).days, 1)
            ax.barh(y, width, left=mdates.date2num(start), height=0.6, color="#0d6efd", alpha=0.7)
            names.append(label)
            y += 1
        for label, planned, actual in data.milestones:
            ax.plot(
                [mdates.date2num(planned)],
                [y],
                marker="D",
                color="#6c757d",
                markerfacecolor="none",
                linestyle="none",
            )
            if actual is not None:
                colour = "#198754" if actual <= planned else "#dc3545"
                ax.plot([mdates.date2num(actual)], [y], marker="D", color=colour, linestyle="none")
            names.append(label)
            y += 1
        if not names:
            ax.text(
                0.5,
                0.5,
                data.labels.get("empty", "—"),
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
            ax.set_xticks([])
            ax.set_yticks([])
            return _svg(fig)
        if data.today is not None:
            ax.axvline(mdates.date2num(data.today), color="#dc3545", linewidth=0.8)
        ax.set_yticks(range(len(names)), names)
        ax.invert_yaxis()
        ax.xaxis_date()
        _date_axis(ax)
        ax.set_title(data.title, fontsize=10)
        ax.grid(True, axis="x", linewidth=0.3)
        return _svg(fig)
