"""The certificate register as CSV: its header, a row per certificate, safe cells."""

import csv
import io

from navigator.certification import pdf
from navigator.certification.models import Certificate
from navigator.i18n import _
from navigator.spreadsheets import safe_cell


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
