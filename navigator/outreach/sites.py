"""A programme's outreach sites: listing, adding, renaming, archiving, deleting."""

from sqlmodel import Session, func, select

from navigator.accounts.services import Principal, get_programme
from navigator.errors import Conflict, Invalid, NotFound
from navigator.i18n import _, ngettext
from navigator.outreach.models import OutreachActivity, OutreachSite


def list_sites(s: Session, programme_id: int, *, archived: bool = True) -> list[OutreachSite]:
    """A programme's sites by name; without archived ones unless asked."""
    query = select(OutreachSite).where(OutreachSite.programme_id == programme_id)
    if not archived:
        query = query.where(OutreachSite.archived.is_(False))
    return list(s.exec(query.order_by(OutreachSite.name)))


def _check_site_name(s: Session, programme_id: int, name: str, site_id: int | None = None
                     ) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid(_("Give the site a name."), field="name")
    clash = s.exec(select(OutreachSite).where(
        OutreachSite.programme_id == programme_id,
        func.lower(OutreachSite.name) == name.lower(),
        OutreachSite.id != (site_id or -1))).first()
    if clash:
        raise Conflict(_("This programme already has a site with this name."), field="name")
    return name


def add_site(s: Session, actor: Principal, programme_id: int, name: str) -> OutreachSite:
    """Add a site to a programme the actor manages."""
    get_programme(s, actor, programme_id, "manager")
    site = OutreachSite(programme_id=programme_id,
                        name=_check_site_name(s, programme_id, name))
    s.add(site)
    s.flush()
    return site


def get_site(s: Session, actor: Principal, site_id: int) -> OutreachSite:
    """A site of a programme the actor manages; NotFound otherwise."""
    site = s.get(OutreachSite, site_id)
    if site is None:
        raise NotFound()
    get_programme(s, actor, site.programme_id, "manager")
    return site


def update_site(s: Session, site: OutreachSite, *, name: str, archived: bool) -> None:
    """Rename a site, or stop offering it for new activities."""
    site.name = _check_site_name(s, site.programme_id, name, site.id)
    site.archived = archived


def delete_site(s: Session, site: OutreachSite) -> None:
    """Delete a site no activity names; one in use can only be archived."""
    used = s.exec(select(func.count()).select_from(OutreachActivity)
                  .where(OutreachActivity.site_id == site.id)).one()
    if used:
        raise Conflict(ngettext(
            "%(num)d activity was held at this site, so it cannot be deleted. Archive it "
            "instead: it stays in reports but is no longer offered.",
            "%(num)d activities were held at this site, so it cannot be deleted. Archive it "
            "instead: it stays in reports but is no longer offered.", used))
    s.delete(site)
