"""``flask licensing reminders``: applications due within N working days and overdue ones,
printed (and optionally written as CSV) for a scheduled job."""

from __future__ import annotations

import csv
from pathlib import Path

import click
from flask.cli import AppGroup

from registry.cells import guard
from registry.extensions import db

licensing_cli = AppGroup("licensing", help="Licensing applications.")


@licensing_cli.command("reminders")
@click.option(
    "--within",
    type=click.IntRange(0, 365),
    default=3,
    show_default=True,
    help="Working days ahead.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the list to this CSV file.",
)
@click.option("--mail", "send", is_flag=True, help="Also e-mail each assigned officer.")
def reminders(within: int, csv_path: Path | None, send: bool) -> None:
    """Open applications due within WITHIN working days, and overdue ones."""
    from registry.licensing import services

    rows = services.reminders(db.session, within=within)
    header = ["receipt_code", "procedure", "facility", "state", "due_on", "days_left", "officer"]
    lines = [
        [
            r.receipt_code,
            r.procedure_code,
            r.facility_name,
            r.state.value,
            f"{r.due_on:%d/%m/%Y}" if r.due_on else "",
            "" if r.days_left is None else str(r.days_left),
            r.assigned_to or "",
        ]
        for r in rows
    ]
    overdue = sum(1 for r in rows if r.days_left is not None and r.days_left < 0)
    for line in lines:
        flag = "QUÁ HẠN" if line[5].startswith("-") else "sắp đến hạn"
        click.echo(f"{line[0]}  {line[4]}  {line[5]:>4}  {flag}  {line[2]}  ({line[3]})")
    click.echo(f"{len(rows)} hồ sơ, {overdue} quá hạn.")
    if send:
        click.echo(f"{services.send_deadline_mails(db.session, rows)} thư đã gửi.")
    if csv_path is not None:
        with csv_path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            writer.writerows([[guard(v) for v in line] for line in lines])
