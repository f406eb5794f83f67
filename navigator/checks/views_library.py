"""Chatbot check pages for the programme: the library (and its spreadsheet), the review period,
and the one-page handout. Routes hang on the checks blueprint."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from navigator import db
from navigator.checks import forms, handout, services, sharing
from navigator.checks.views_base import MEMBERS, _crisis, _locale, _protocol, bp
from navigator.errors import NotFound
from navigator.i18n import _, force_locale, language
from navigator.security import limiter, role_required

# --- the library --------------------------------------------------------------------------------

@bp.get("/library")
@role_required(*MEMBERS)
def library():
    s = db.session()
    proto = _protocol()
    programmes = services.library_programmes(s, current_user)
    form = forms.LibraryFilter(request.args, programmes=programmes)
    valid = form.validate()
    rows = sharing.library(s, current_user, proto, _locale(),
                            programme_id=form.programme_id() if valid else None,
                            query=(form.q.data or "") if valid else "")
    staff = services.staff_programme_ids(s, current_user)
    periods = [(p, sharing.review_months(s, proto, p.id),
                forms.PeriodForm(prefix=f"p{p.id}", months=sharing.review_months(s, proto, p.id)))
               for p in programmes if p.id in staff]
    return render_template("checks/library.html", rows=rows, form=form, periods=periods,
                           can_start=current_user.has_any_role("navigator"))


@bp.get("/library.csv")
@role_required(*MEMBERS)
def library_csv():
    """The library as a spreadsheet: one row per approved check, a column per probe."""
    from navigator.outreach.exports import stream

    s = db.session()
    proto = _protocol()
    locale = _locale()
    form = forms.LibraryFilter(request.args,
                               programmes=services.library_programmes(s, current_user))
    valid = form.validate()
    rows = sharing.library(s, current_user, proto, locale,
                            programme_id=form.programme_id() if valid else None,
                            query=(form.q.data or "") if valid else "")
    rated = sharing.library_ratings(s, [r.check.id for r in rows])
    header = [_("Chatbot"), _("Where and which version"), _("Programme"), _("Checked on"),
              _("Language"), _("Checked by"), _("Due for re-checking"), _("Concerns"),
              *(proto.probe_text(p.id, locale).get("title", p.id) for p in proto.probes)]

    def lines():
        for r in rows:
            c = r.check
            yield [c.chatbot, c.details, r.programme,
                   c.checked_on.isoformat() if c.checked_on else "", language(c.locale).native,
                   r.author, _("yes") if r.due else _("no"), "; ".join(r.concerns),
                   *(str(forms.RATING_LABELS[rated[c.id][p.id]])
                     if p.id in rated.get(c.id, {}) else "" for p in proto.probes)]

    return Response(stream(header, list(lines())), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="chatbot-checks.csv"'})


@bp.post("/library/<int:programme_id>/period")
@role_required("trainer", "manager", "admin")
def period(programme_id: int):
    s = db.session()
    form = forms.PeriodForm(prefix=f"p{programme_id}")
    if programme_id not in services.staff_programme_ids(s, current_user):
        raise NotFound()
    if not form.validate_on_submit():
        flash(_("Choose from 1 to 60 months."), "error")
        return redirect(url_for("checks.library") + "#periods")
    sharing.set_review_months(s, current_user, programme_id, form.months.data)
    s.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("checks.library") + "#periods")


# --- the handout --------------------------------------------------------------------------------

def _handout(check_id: int):
    s = db.session()
    proto = _protocol()
    item = services.get_check(s, current_user, check_id)
    if item.status != "approved":
        raise NotFound()
    form = forms.HandoutForm(request.args, locales=proto.locales())
    locale = form.lang.data if form.validate() and form.lang.data else _locale()
    if locale not in proto.locales():
        locale = "en"
    with force_locale(locale):
        doc = sharing.handout(s, proto, item, locale,
                               _crisis(item.programme_id, handout=True))
    return item, doc, form, locale


@bp.get("/<int:check_id>/handout")
@role_required(*MEMBERS)
def handout_page(check_id: int):
    item, doc, form, locale = _handout(check_id)
    return handout.page(doc, form=form, check=item)


@bp.get("/<int:check_id>/handout.pdf")
@role_required(*MEMBERS)
@limiter.limit("10 per minute")
def handout_pdf(check_id: int):
    item, doc, _form, locale = _handout(check_id)
    data = handout.pdf(doc)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="chatbot-check-{item.id}-{locale}.pdf"'})
