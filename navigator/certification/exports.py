"""Manager exports: a CSV register, or a ZIP of PDFs with the register, built in the background.

An export is a row (ExportJob) and a job on the queue. The job writes to a .part file and
renames it only when every certificate is in it; any error marks the export failed and deletes
the part, so a manager never downloads a short ZIP. Progress is saved as it goes, for the page
that refreshes itself. Each certificate's PDF is kept in storage as soon as it is rendered
(named for the export and the certificate), so an export started again after its worker died
renders only the certificates still missing; those pieces go once the export is done or failed.

A worker can die mid-export (killed, out of memory, a machine lost). While it builds an export
the worker touches the row every few seconds; a running export silent for
EXPORT_STALLED_SECONDS lost its worker. Every live worker's sweeper then starts it again (one
more attempt) or fails it, and removes its partial file; the helper processes that render PDFs
end themselves when their worker dies. The page says when no worker is there to pick work up.
"""

import io
import logging
import os
import secrets
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlmodel import Session, select

from navigator import db, jobs, storage
from navigator.accounts.models import User
from navigator.accounts.services import Principal, principal
from navigator.certification import certificates, codes, manage, pdf
from navigator.certification.eligibility import Track
from navigator.certification.export_csv import csv_row, write_csv
from navigator.certification.export_pdfs import (
    render_pdfs as _pdfs,  # benchmarks call exports._pdfs
)
from navigator.certification.models import Certificate, ExportJob
from navigator.db import utcnow
from navigator.errors import Invalid, NotFound
from navigator.i18n import CODES, _, force_locale
from navigator.learning.models import Course, CourseVersion

log = logging.getLogger(__name__)
KINDS = ("csv", "zip")
PROGRESS_EVERY = 25  # certificates between progress saves
STALLED = timedelta(seconds=30)  # a running export silent this long lost its worker
HEARTBEAT_SECONDS = 3  # how often a running export says its worker is still at it
ATTEMPTS = 2  # a worker's death starts the export once more; the second time it fails
KEEP = timedelta(days=7)  # finished exports hold personal data: their files go after this


def exports_folder(instance_path: str) -> Path:
    """Where this machine builds export files (and, with local storage, keeps them)."""
    folder = Path(instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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


def retry_export(s: Session, actor: Principal, failed: ExportJob) -> ExportJob:
    """A new export asking for what a failed one asked; queue run_export once committed."""
    export = ExportJob(requested_by=actor.user.id, kind=failed.kind, filters=dict(failed.filters))
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
    """The export's status as a page shows it.

    A running export that stopped reporting lost its worker: "restarting" while it has an
    attempt left (a worker's sweeper queues it again), else "failed". A worker killed
    mid-export never says so: silence is how it shows.
    """
    if export.status == "running" and utcnow() - export.updated_at > stalled:
        return "restarting" if export.attempts < ATTEMPTS else "failed"
    return export.status


def download(export: ExportJob):
    """A response sending the export's file; NotFound until it is done (or once removed)."""
    response = None
    if export.status == "done" and export.file_name:
        response = storage.send(export.file_name, f"certificates-{export.id}.{export.kind}",
                                "text/csv" if export.kind == "csv" else "application/zip")
    if response is None:
        raise NotFound()
    return response


def purge_old(s: Session) -> int:
    """Delete the files of exports finished more than KEEP ago; how many were deleted."""
    old = s.exec(select(ExportJob).where(ExportJob.file_name != "",
                                         ExportJob.finished_at < utcnow() - KEEP)).all()
    for export in old:
        storage.storage().delete(export.file_name)
        export.file_name = ""
    return len(old)


# --- the job --------------------------------------------------------------------------------

def _update(export_id: int, worker: str, attempt: int, **values) -> bool:
    """Save progress or the outcome, and say the worker is alive; False (nothing saved) when
    the export is no longer this worker's attempt (it was taken for dead and started again)."""
    with db.write_session() as s:
        return bool(s.execute(sa.update(ExportJob).where(
            ExportJob.id == export_id, ExportJob.worker == worker,
            ExportJob.attempts == attempt, ExportJob.status == "running")
            .values(updated_at=utcnow(), **values)).rowcount)


def _selection(export: ExportJob) -> list[tuple[Certificate, pdf.CertificateDoc, str]]:
    """The certificates to export, limited to programmes the requester still manages.

    Three statements however many certificates: the register's rows (with the programme's
    name), then their course versions and courses, each read once.
    """
    base_url = current_app.config["BASE_URL"]
    with Session(db.engine(), expire_on_commit=False) as s:
        user = s.get(User, export.requested_by)
        if user is None or not user.is_active:
            return []
        allowed = manage.managed_programme_ids(s, principal(s, user))
        filters = manage.Filters.from_dict(export.filters)
        filters.programme_ids = [p for p in filters.programme_ids if p in allowed]
        on = certificates.today()
        rows = s.exec(manage.register_query(filters, on)).all()
        versions = {v.id: v for v in s.exec(select(CourseVersion).where(
            CourseVersion.id.in_({cert.version_id for cert, _name in rows} or {-1})))}
        courses = {c.id: c for c in s.exec(select(Course).where(
            Course.id.in_({cert.course_id for cert, _name in rows} or {-1})))}
        return [(cert, _document(cert, name, versions[cert.version_id],
                                 courses[cert.course_id], base_url),
                 certificates.status_of(cert, on)) for cert, name in rows]


def _document(cert: Certificate, programme: str, version: CourseVersion, course: Course,
              base_url: str) -> pdf.CertificateDoc:
    """What verification.document() says, from rows already read."""
    track = Track.parse(version.track) or Track.parse({"id": cert.track_id})
    return pdf.CertificateDoc(
        codes.display(cert.code), certificates.verify_url(base_url, cert.code), cert.printed_name,
        certificates.track_title(version, track, cert.locale, course.default_locale), programme,
        version.number, cert.locale, cert.issued_on, cert.expires_on)


def piece_name(export_id: int, certificate_id: int) -> str:
    """The stored name of a certificate's PDF rendered for an export, kept until it is done."""
    return f"export-{export_id}-certificate-{certificate_id}.pdf"


def _discard_pieces(names) -> None:
    store = storage.storage()
    for name in names:
        store.delete(name)


def _write(export: ExportJob, part: Path, worker: str, attempt: int, pieces: list[str]) -> None:
    """Build the export's file at part; the names of the PDFs kept in storage on the way are
    added to pieces, for whoever ends the export to delete."""
    rows = _selection(export)
    total = len(rows)
    _update(export.id, worker, attempt, total=total)
    with force_locale(export.filters.get("locale", "en")):
        buffer = io.StringIO()
        write_csv(buffer, (csv_row(doc, cert, status) for cert, doc, status in rows))
        register = buffer.getvalue().encode("utf-8")
    if export.kind == "csv":
        part.write_bytes(register)
        _update(export.id, worker, attempt, done=total)
        return
    paper = export.filters.get("paper", "a4")
    store = storage.storage()
    pieces.extend(piece_name(export.id, cert.id) for cert, _doc, _status in rows)
    # Rendered by an earlier attempt whose worker died: kept, not rendered again.
    kept = {name for name in pieces if store.size(name) is not None}
    if kept:
        log.info("certificate export %s: %s of %s certificates kept from an earlier attempt",
                 export.id, len(kept), total)
    missing = [doc for (_cert, doc, _status), name in zip(rows, pieces, strict=True)
               if name not in kept]
    processes = current_app.config["EXPORT_PROCESSES"] or os.cpu_count() or 1
    if len(missing) < current_app.config["EXPORT_PARALLEL_FROM"]:
        processes = 1
    rendered = _pdfs(iter(missing), paper, processes)
    scratch = part.with_suffix(".piece")
    written = 0
    with zipfile.ZipFile(part, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("register.csv", register, compress_type=zipfile.ZIP_DEFLATED)
        for (_cert, doc, _status), name in zip(rows, pieces, strict=True):
            if name in kept:
                data = store.read(name)
            else:
                data = next(rendered)
                scratch.write_bytes(data)
                store.put(name, scratch)  # kept before it counts as done
            # PDFs are compressed already: stored as they are, which saves time, not space.
            archive.writestr(f"{doc.code}.pdf", data)
            written += 1
            if written % PROGRESS_EVERY == 0:
                _update(export.id, worker, attempt, done=written)
    if next(rendered, None) is not None or written != total:  # never hand over a short archive
        raise RuntimeError("the archive holds fewer certificates than selected")
    _update(export.id, worker, attempt, done=written)


def part_path(folder: Path, export_id: int) -> Path:
    """Where a worker builds an export's file: one name per export, so any sweeper finds it."""
    return folder / f"certificates-{export_id}.part"


class _Heartbeat:
    """Touches the export's row every few seconds while its worker builds it."""

    def __init__(self, app, export_id: int, worker: str, attempt: int) -> None:
        self._stop = threading.Event()
        self._args = (app, export_id, worker, attempt)
        self._thread = threading.Thread(target=self._run, daemon=True, name="export-heartbeat")
        self._thread.start()

    def _run(self) -> None:
        app, export_id, worker, attempt = self._args
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                with app.app_context():
                    _update(export_id, worker, attempt)
            except Exception:  # noqa: BLE001 - a missed beat is caught up at the next one
                log.warning("certificate export %s: heartbeat not written", export_id)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@jobs.job
def run_export(export_id: int) -> None:
    """Build an export's file; mark it done, or failed with nothing half-written left behind."""
    worker = jobs.worker_name()
    with db.write_session() as s:
        # Claimed by one worker only, however many got the message.
        claimed = s.execute(sa.update(ExportJob).where(
            ExportJob.id == export_id, ExportJob.status == "queued").values(
            status="running", worker=worker, attempts=ExportJob.attempts + 1, done=0,
            updated_at=utcnow())).rowcount
        if not claimed:
            return  # already handled (a retried or repeated message)
        export = s.get(ExportJob, export_id)
        s.expunge(export)
    attempt = export.attempts
    folder = exports_folder(current_app.instance_path)
    name = f"certificates-{export_id}-{secrets.token_hex(8)}.{export.kind}"
    part = part_path(folder, export_id)
    part.unlink(missing_ok=True)  # an earlier attempt's, had it died on this machine
    heartbeat = _Heartbeat(current_app._get_current_object(), export_id, worker, attempt)
    pieces: list[str] = []
    try:
        _write(export, part, worker, attempt, pieces)
        storage.storage().put(name, part)  # where every server can send it from
    except Exception as exc:
        log.exception("certificate export %s failed", export_id)
        part.unlink(missing_ok=True)
        # The kind of error only: messages can quote names.
        if _update(export_id, worker, attempt, status="failed", error=type(exc).__name__[:100],
                   finished_at=utcnow()):
            _discard_pieces(pieces)  # a retry is a new export: nothing would use them
        return
    finally:
        heartbeat.stop()
        part.with_suffix(".piece").unlink(missing_ok=True)
    if not _update(export_id, worker, attempt, status="done", file_name=name,
                   finished_at=utcnow()):
        storage.storage().delete(name)  # taken for dead and started again meanwhile
        return  # its pieces serve the attempt now running
    _discard_pieces(pieces)


def _discard_export_pieces(export_id: int) -> None:
    """Delete the PDFs a failed export kept, named from its selection read again."""
    with Session(db.engine(), expire_on_commit=False) as s:
        export = s.get(ExportJob, export_id)
    if export is not None and export.kind == "zip":
        _discard_pieces(piece_name(export_id, cert.id) for cert, _doc, _st in _selection(export))


@jobs.sweeper
def recover_stalled() -> int:
    """Start again, or fail, exports whose worker went silent; remove their partial files.

    Runs in every job worker every few seconds; each change is one UPDATE that only one
    worker can win. Returns how many exports it moved on.
    """
    stalled = timedelta(seconds=current_app.config["EXPORT_STALLED_SECONDS"])
    cutoff = utcnow() - stalled
    folder = exports_folder(current_app.instance_path)
    with Session(db.engine()) as s:
        silent = s.exec(select(ExportJob.id, ExportJob.attempts).where(
            ExportJob.status == "running", ExportJob.updated_at < cutoff)).all()
    moved = 0
    for export_id, attempts in silent:
        again = attempts < ATTEMPTS
        values = ({"status": "queued", "worker": "", "done": 0} if again else
                  {"status": "failed", "error": "WorkerLost", "finished_at": utcnow()})
        with db.write_session() as s:
            won = s.execute(sa.update(ExportJob).where(
                ExportJob.id == export_id, ExportJob.status == "running",
                ExportJob.attempts == attempts, ExportJob.updated_at < cutoff)
                .values(updated_at=utcnow(), **values)).rowcount
        if not won:
            continue
        moved += 1
        log.warning("certificate export %s lost its worker: %s", export_id,
                    "starting it again" if again else "failed")
        part_path(folder, export_id).unlink(missing_ok=True)
        part_path(folder, export_id).with_suffix(".piece").unlink(missing_ok=True)
        if again:
            jobs.enqueue(run_export, export_id)  # keeps the certificates already rendered
        else:
            _discard_export_pieces(export_id)
    # A partial file is an orphan unless its export is running with a live heartbeat.
    parts = {int(p.name.split("-")[1].split(".")[0]): p
             for p in folder.glob("certificates-*.part") if p.name.split("-")[1][:-5].isdigit()}
    if parts:
        with Session(db.engine()) as s:
            live = set(s.exec(select(ExportJob.id).where(
                ExportJob.id.in_(parts), ExportJob.status == "running",
                ExportJob.updated_at >= cutoff)).all())
        for export_id, part in parts.items():
            if export_id not in live:
                part.unlink(missing_ok=True)
    return moved
