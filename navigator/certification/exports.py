"""Manager exports: a CSV register, or a ZIP of PDFs with the register, built in the background.

An export is a row (ExportJob) and a job on the queue. The job writes to a .part file and
renames it only when every certificate is in it; any error marks the export failed and deletes
the part, so a manager never downloads a short ZIP. Progress is saved as it goes, for the page
that refreshes itself.
"""

import csv
import io
import logging
import multiprocessing
import os
import secrets
import zipfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlmodel import Session, select

from navigator import db, jobs
from navigator.accounts.models import User
from navigator.accounts.services import Principal, principal
from navigator.certification import manage, pdf, services
from navigator.certification.models import Certificate, ExportJob
from navigator.db import utcnow
from navigator.errors import Invalid, NotFound
from navigator.i18n import CODES, _, force_locale
from navigator.spreadsheets import safe_cell

log = logging.getLogger(__name__)
KINDS = ("csv", "zip")
PROGRESS_EVERY = 25  # certificates between progress saves
STALLED = timedelta(minutes=10)  # a running export silent this long was interrupted
KEEP = timedelta(days=7)  # finished exports hold personal data: their files go after this


def exports_folder(instance_path: str) -> Path:
    folder = Path(instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def csv_header() -> list[str]:
    return [_("Verification code"), _("Verification address"), _("Status"), _("Printed name"),
            _("Track"), _("Course version"), _("Programme"), _("Language"), _("Issued on"),
            _("Expires on"), _("Revoked on")]


def status_label(status: str) -> str:
    return {"valid": _("Valid"), "expired": _("Expired"), "revoked": _("Revoked"),
            "superseded": _("Replaced")}[status]


def csv_row(doc: pdf.CertificateDoc, cert: Certificate, status: str) -> list[str]:
    return [doc.code, doc.url, status_label(status), doc.printed_name, doc.track,
            str(doc.version), doc.programme, cert.locale, cert.issued_on.isoformat(),
            cert.expires_on.isoformat() if cert.expires_on else "",
            cert.revoked_at.date().isoformat() if cert.revoked_at else ""]


def write_csv(out: io.TextIOBase, rows) -> None:
    """The register as CSV: a byte-order mark (spreadsheets then read every script), safe cells."""
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in csv_header()])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])


# --- requesting and reading exports ---------------------------------------------------------

def create_export(s: Session, actor: Principal, filters: manage.Filters, *, kind: str,
                  locale: str, paper: str = "a4") -> ExportJob:
    """Record an export for the actor; the caller queues run_export once this is committed."""
    if kind not in KINDS:
        raise Invalid(_("Choose one of the listed formats."), field="kind")
    if paper not in pdf.PAPERS:
        raise Invalid(_("Choose one of the listed paper sizes."), field="paper")
    export = ExportJob(requested_by=actor.user.id, kind=kind,
                       filters={**filters.as_dict(), "paper": paper,
                                "locale": locale if locale in CODES else "en"})
    s.add(export)
    s.flush()
    return export


def get_export(s: Session, actor: Principal, export_id: int) -> ExportJob:
    """An export the actor asked for; anyone else's is NotFound."""
    export = s.get(ExportJob, export_id)
    if export is None or export.requested_by != actor.user.id:
        raise NotFound()
    return export


def recent_exports(s: Session, actor: Principal, limit: int = 10) -> list[ExportJob]:
    return list(s.exec(select(ExportJob).where(ExportJob.requested_by == actor.user.id)
                       .order_by(ExportJob.created_at.desc(), ExportJob.id.desc()).limit(limit)))


def state(export: ExportJob, stalled: timedelta = STALLED) -> str:
    """The export's status; a running export that stopped reporting counts as failed.

    A worker killed mid-export (a restart, a crash) never says so: silence is how it shows.
    """
    if export.status == "running" and utcnow() - export.updated_at > stalled:
        return "failed"
    return export.status


def download_path(folder: Path, export: ExportJob) -> Path:
    """The finished file of an export; NotFound until it is done (or once it was removed)."""
    path = folder / export.file_name if export.file_name else None
    if export.status != "done" or path is None or not path.is_file():
        raise NotFound()
    return path


def purge_old(s: Session, folder: Path) -> int:
    """Delete the files of exports finished more than KEEP ago; how many were deleted."""
    old = s.exec(select(ExportJob).where(ExportJob.file_name != "",
                                         ExportJob.finished_at < utcnow() - KEEP)).all()
    for export in old:
        (folder / export.file_name).unlink(missing_ok=True)
        export.file_name = ""
    return len(old)


# --- the job --------------------------------------------------------------------------------

def _update(export_id: int, **values) -> None:
    with db.write_session() as s:
        s.execute(sa.update(ExportJob).where(ExportJob.id == export_id)
                  .values(updated_at=utcnow(), **values))


def _selection(export: ExportJob) -> list[tuple[Certificate, pdf.CertificateDoc, str]]:
    """The certificates to export, limited to programmes the requester still manages."""
    base_url = current_app.config["BASE_URL"]
    with Session(db.engine(), expire_on_commit=False) as s:
        user = s.get(User, export.requested_by)
        if user is None or not user.is_active:
            return []
        allowed = manage.managed_programme_ids(s, principal(s, user))
        filters = manage.Filters.from_dict(export.filters)
        filters.programme_ids = [p for p in filters.programme_ids if p in allowed]
        on = services.today()
        return [(cert, services.document(s, cert, base_url), services.status_of(cert, on))
                for cert, _name in s.exec(manage.register_query(filters, on)).all()]


def _pdfs(markups: Iterator[str], processes: int) -> Iterator[bytes]:
    """Render certificate HTML to PDFs in order: in worker processes when there are many.

    Rendering is CPU-bound Python, so threads would take turns; processes use every core.
    They are spawned (not forked: this process runs threads) and each loads the stylesheet
    and fonts once. A window of queued renders keeps memory flat however large the export.
    """
    if processes <= 1:
        yield from map(pdf.write_pdf, markups)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(processes, mp_context=context, initializer=pdf.resources) as pool:
        window: deque = deque()
        for markup in markups:
            window.append(pool.submit(pdf.write_pdf, markup))
            if len(window) >= processes * 4:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


def _write(export: ExportJob, part: Path) -> None:
    rows = _selection(export)
    total = len(rows)
    _update(export.id, total=total)
    with force_locale(export.filters.get("locale", "en")):
        buffer = io.StringIO()
        write_csv(buffer, (csv_row(doc, cert, status) for cert, doc, status in rows))
        register = buffer.getvalue().encode("utf-8")
    if export.kind == "csv":
        part.write_bytes(register)
        _update(export.id, done=total)
        return
    paper = export.filters.get("paper", "a4")
    processes = current_app.config["EXPORT_PROCESSES"] or os.cpu_count() or 1
    if total < current_app.config["EXPORT_PARALLEL_FROM"]:
        processes = 1
    markups = (pdf.html(doc, paper) for _cert, doc, _status in rows)
    written = 0
    with zipfile.ZipFile(part, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("register.csv", register, compress_type=zipfile.ZIP_DEFLATED)
        names = (f"{doc.code}.pdf" for _cert, doc, _status in rows)
        for name, data in zip(names, _pdfs(markups, processes), strict=True):
            # PDFs are compressed already: stored as they are, which saves time, not space.
            archive.writestr(name, data)
            written += 1
            if written % PROGRESS_EVERY == 0:
                _update(export.id, done=written)
    if written != total:  # never hand over a short archive
        raise RuntimeError("the archive holds fewer certificates than selected")
    _update(export.id, done=written)


@jobs.job
def run_export(export_id: int) -> None:
    """Build an export's file; mark it done, or failed with nothing half-written left behind."""
    with db.write_session() as s:
        export = s.get(ExportJob, export_id)
        if export is None or export.status != "queued":
            return  # already handled (a retried or repeated message)
        export.status, export.updated_at = "running", utcnow()
    folder = exports_folder(current_app.instance_path)
    name = f"certificates-{export_id}-{secrets.token_hex(8)}.{export.kind}"
    part = folder / f"{name}.part"
    try:
        _write(export, part)
        os.replace(part, folder / name)
    except Exception as exc:
        log.exception("certificate export %s failed", export_id)
        part.unlink(missing_ok=True)
        # The kind of error only: messages can quote names.
        _update(export_id, status="failed", error=type(exc).__name__[:100],
                finished_at=utcnow())
        return
    _update(export_id, status="done", file_name=name, finished_at=utcnow())
