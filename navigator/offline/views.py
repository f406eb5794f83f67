"""The web app manifest, the service worker, the page of what this device keeps, and the list of
addresses a device fetches to keep a module."""

import re
from pathlib import Path

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from navigator import db
from navigator.i18n import _, get_locale, language
from navigator.learning.render import Links, render
from navigator.offline import services
from navigator.outreach import services as outreach
from navigator.security import role_required

bp = Blueprint("offline", __name__)
IMAGE = re.compile(r'<img src="([^"]+)"')


@bp.get("/sw.js")
def service_worker():
    """Served from the root, so its scope covers every page; always checked for a new copy."""
    script = (Path(current_app.static_folder) / "sw.js").read_bytes()
    response = current_app.response_class(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/manifest.webmanifest")
def manifest():
    """What a phone needs to install Navigator on its home screen."""
    lang = language(str(get_locale()))
    icon = url_for("static", filename="favicon.svg")
    response = current_app.response_class(
        current_app.json.dumps({
            "name": "Navigator", "short_name": "Navigator",
            "description": _("Courses, the sandbox and your outreach log, also without a "
                             "connection for the modules you save."),
            "lang": lang.code.replace("_", "-"), "dir": lang.dir,
            "start_url": url_for("home.index"), "scope": url_for("home.index"),
            "display": "standalone", "background_color": "#ffffff", "theme_color": "#1b1f24",
            "icons": [{"src": icon, "sizes": "any", "type": "image/svg+xml"},
                      {"src": url_for("static", filename="icon-192.png"), "sizes": "192x192",
                       "type": "image/png"},
                      {"src": url_for("static", filename="icon-512.png"), "sizes": "512x512",
                       "type": "image/png"}]}),
        mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline/")
@role_required("navigator")
def index():
    """What this device keeps: saved modules, what waits to be sent, what was sent (the lists
    are drawn by offline.js from the device's own storage)."""
    return render_template("offline/index.html")


@bp.get("/offline/state")
def state():
    """Who is signed in, and a fresh form token: what the service worker needs to send what it
    kept. Nobody signed in: no token."""
    if not current_user.is_authenticated:
        return {"user": None}
    return {"user": current_user.id, "csrf": generate_csrf()}


@bp.get("/offline/modules/<slug>/<module_slug>.json")
@role_required("navigator")
def module_files(slug: str, module_slug: str):
    """The addresses a device fetches and keeps to study a module offline: its own (lessons,
    pictures, narrations, quiz), and those every saved module shares (stylesheet, scripts,
    course page, outreach form, this device's page)."""
    locale = str(get_locale())
    kept = services.module_to_keep(db.session(), current_user.id, slug, module_slug, locale)
    module_page = url_for("learning.module", slug=slug, module_slug=module_slug)
    links = Links(module=url_for("learning.module", slug=slug, module_slug="MODULE")
                  .replace("MODULE", "{slug}"),
                  asset=url_for("learning.asset", slug=slug, name="ASSET")
                  .replace("ASSET", "{name}"))
    own = [module_page]
    for item in kept.lessons:
        own.append(url_for("learning.lesson", slug=slug, module_slug=module_slug,
                           lesson_slug=item.lesson.slug))
        own += IMAGE.findall(str(render(item.text.body, links=links)))
        if item.narration and item.narration.ready:
            own.append(url_for("learning.listen", slug=slug, module_slug=module_slug,
                               lesson_slug=item.lesson.slug, v=item.narration.token))
    if kept.has_quiz:
        own.append(url_for("learning.quiz", slug=slug, module_slug=module_slug))
    shared = [url_for("home.index"), url_for("offline.index"), url_for("learning.catalogue"),
              url_for("learning.course", slug=slug),
              url_for("static", filename="navigator.css"),
              url_for("static", filename="offline-store.js"),
              url_for("static", filename="offline.js"),
              url_for("static", filename="favicon.svg")]
    programmes = sorted(outreach.navigator_programme_ids(current_user))
    if programmes:
        shared += [url_for("outreach.mine"), url_for("outreach.new")]
        if len(programmes) > 1:
            shared += [url_for("outreach.new", programme=pid) for pid in programmes]
    waiting = sum(1 for item in kept.lessons if item.narration and not item.narration.ready)
    return {"key": f"{slug}/{module_slug}", "title": kept.module_title,
            "course": kept.course_title, "locale": kept.locale, "page": module_page,
            "module": list(dict.fromkeys(own)), "shared": list(dict.fromkeys(shared)),
            "narrations_pending": waiting}
