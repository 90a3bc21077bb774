"""Monitoring Measure 3 from the standing new-hire waves' yearly releases (aggregation.monitoring).

Only the release log is read: each release's published cells of the table of migration background
by employee group, and its year. Survey groups map to the plan's groups by name (`medium`,
`senior`, `top`, ...), the margin `Total` to the whole administration (`all`).
"""
from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import select

from aggregation.monitoring import GroupMonitor, hiring_rates, monitor
from aggregation.plan_wir2 import Plan
from aggregation.quotas import Interval

from ..extensions import db
from ..models import Release, Wave

TABLE = "migration_background_by_group"
PLAN_KEY = {"Total": "all"}


def measured_rates() -> dict[str, dict[int, Interval]]:
    """Per plan group and year, the hiring rate the standing waves' releases published."""
    found: dict[str, dict[int, Interval]] = defaultdict(dict)
    for wave in db.session.scalars(select(Wave).where(Wave.standing.is_(True)).order_by(Wave.id)):
        yearly = []
        for release in db.session.scalars(select(Release).where(Release.wave_id == wave.id).order_by(Release.number)):
            year = release.parameters.get("year")
            cells = json.loads(release.published_json).get(TABLE)
            if year is None or cells is None:
                continue
            yearly.append((int(year), {tuple(key): count for key, count, _status in cells}))
        intake: dict[str, int] = defaultdict(int)
        for stratum in wave.strata:
            intake[stratum.attributes.get("group", "")] += stratum.headcount
        for group, years in hiring_rates(yearly, intake, min_count=wave.min_count).items():
            found[PLAN_KEY.get(group, group)].update(years)
    return dict(found)


def plan_monitor(plan: Plan) -> list[GroupMonitor]:
    return monitor(plan, measured_rates())


def report_bytes(kind: str, lang: str = "de") -> tuple[bytes, str]:
    """The monitoring report of the current plan as XLSX or PDF bytes, with its MIME type."""
    import tempfile
    from pathlib import Path

    from aggregation.monitoring_report import write_monitoring_pdf, write_monitoring_xlsx

    from .operations import current

    shown = current()
    monitors = monitor(shown.plan, measured_rates())
    title = f"{shown.plan.name}, version {shown.version}"
    writer = {"xlsx": write_monitoring_xlsx, "pdf": write_monitoring_pdf}[kind]
    with tempfile.TemporaryDirectory() as folder:
        path = writer(monitors, Path(folder) / f"report.{kind}", title=title, source=shown.plan.source.citation(),
                      lang=lang if lang in ("de", "en") else "de")
        data = path.read_bytes()
    mimetype = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "pdf": "application/pdf"}[kind]
    return data, mimetype
