"""Navigator: LLM-literacy training for digital navigators."""

from datetime import timedelta
from functools import cache, cached_property
from pathlib import Path

from babel.support import Translations
from flask import Flask, Request, has_request_context, request
from flask_babel import get_locale
from flask_compress import Compress
from markupsafe import Markup, escape
from werkzeug.middleware.proxy_fix import ProxyFix
from wtforms.i18n import messages_path

from navigator import config

URLS_KEPT = 4096  # endpoints × path prefixes: a few hundred; cleared when full


@cache
def _wtforms_messages(locale: str) -> Translations:
    """WTForms' own messages ("Not a valid choice.") in one language, read once per process."""
    return Translations.load(messages_path(), [locale], domain="wtforms")


class NavigatorRequest(Request):
    """A request whose WTForms messages come from a catalogue kept per language.

    Flask-WTF looks for `request.wtforms_translations` and, when it is missing, reads WTForms'
    catalogue from disk, on every request with a form whose field has no label (a hidden
    field's): half a millisecond of a quiz page's three.
    """

    @cached_property
    def wtforms_translations(self) -> Translations:
        return _wtforms_messages(str(get_locale()))


class Navigator(Flask):
    """Flask, with fixed addresses built once per path prefix: endpoints that take no values,
    and static files by name and content hash.

    A page asks for the same dozen fixed addresses (home, sign-out, the language form, the
    style sheet...) on every request, and building one runs the URL map and every url_defaults
    hook each time.
    """

    request_class = NavigatorRequest

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._fixed_urls: dict[tuple, str] = {}

    def url_for(self, endpoint: str, *, _anchor=None, _method=None, _scheme=None,
                _external=None, **values) -> str:
        static = endpoint == "static" and list(values) == ["filename"]
        if ((values and not static) or _anchor or _method or _scheme or _external
                or endpoint[:1] == "." or not has_request_context() or not self._fixed()):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        key: tuple = (endpoint, request.script_root)
        if static:  # the file's current hash is part of its address (navigator.assets)
            name = values["filename"]
            key = (*key, name, self.extensions["navigator.assets"].digest(name or ""))
        found = self._fixed_urls.get(key)
        if found is None:
            found = super().url_for(endpoint, **values)
            if len(self._fixed_urls) >= URLS_KEPT:
                self._fixed_urls.clear()
            self._fixed_urls[key] = found
        return found

    def _fixed(self) -> bool:
        """Whether addresses can be kept: no url_defaults hook may add values but assets' (the
        hash, part of the key), and rules are not matched by host."""
        if self.url_map.host_matching or self.subdomain_matching:
            return False
        return all(getattr(hook, "static_only", False)
                   for hooks in self.url_default_functions.values() for hook in hooks)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: settings, then extensions, then blueprints, then CLI."""
    settings = config.load(overrides)
    app = Navigator(__name__, instance_path=settings["INSTANCE_PATH"])
    app.config.update(settings)
    app.config.setdefault("TRANSLATIONS_PATH", str(config.ROOT / "translations"))
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_HOURS"])
    app.config.setdefault("COMPRESS_MIMETYPES", [
        "text/html", "text/css", "text/plain", "application/json", "image/svg+xml",
        "text/csv", "application/javascript", "text/event-stream"])
    app.config.setdefault("COMPRESS_STREAMS", False)  # streamed answers go out as they come
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # lighter pages
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXIES"],
                                x_proto=app.config["PROXIES"], x_host=app.config["PROXIES"])

    from navigator import assets, db, errors, i18n, jobs, mail, secretbox, security, storage

    db.init_app(app)
    secretbox.init_app(app)
    storage.init_app(app)
    if not app.config["DATABASE_URL"] and app.config.get("AUTO_MIGRATE", True):
        # The embedded default migrates itself; a configured server is migrated by command.
        db.upgrade(config.database_url(app.config), Path(app.instance_path))
    i18n.init_app(app)
    security.init_app(app)
    mail.init_app(app)
    jobs.init_app(app)
    errors.init_app(app)
    Compress(app)
    assets.init_app(app)  # static files: hashed addresses, long caching, compressed
    _page_frame(app)
    app.after_request(db.release)  # registered last, so it runs before the others

    from navigator.accounts.views import bp as accounts_bp
    from navigator.authoring.views import bp as authoring_bp
    from navigator.certification.badges.views import bp as badges_bp
    from navigator.certification.verify import bp as verify_bp
    from navigator.certification.views import bp as certification_bp
    from navigator.checks.views import bp as checks_bp
    from navigator.home.views import bp as home_bp
    from navigator.learning.views import bp as learning_bp
    from navigator.offline.views import bp as offline_bp
    from navigator.outreach.views import bp as outreach_bp
    from navigator.sandbox.api import bp as sandbox_api_bp
    from navigator.sandbox.endpoint_views import bp as sandbox_endpoints_bp
    from navigator.sandbox.views import bp as sandbox_bp

    for bp in (home_bp, accounts_bp, learning_bp, outreach_bp, authoring_bp,
               sandbox_bp, sandbox_api_bp, sandbox_endpoints_bp, certification_bp, verify_bp,
               badges_bp, checks_bp, offline_bp):
        app.register_blueprint(bp)

    jobs.bind_jobs(app)  # jobs defined by the capabilities just imported
    from navigator import cli

    cli.init_app(app)
    return app


class _PerRequest:
    """Stands in a frame() partial for what belongs to one request; any use of it fails."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attribute):
        raise RuntimeError(f"a frame() partial cannot read {self.name}: pass it in its key")

    def __call__(self, *args, **kwargs):
        return self.__getattr__("")


_PER_REQUEST = {name: _PerRequest(name) for name in (
    "request", "session", "g", "current_user", "csrf_token", "get_flashed_messages")}
FRAGMENTS_KEPT = 2048  # language × roles × page: a few hundred in practice; cleared when full


def _page_frame(app: Flask) -> None:
    """`frame(name, live=..., **key)` in templates: a partial rendered once per key.

    The page frame (the navigation, the offline status) is the same for everyone who shares a
    language, roles and page, and rendering it was most of a small page's cost. The partial is
    given its key (plus the locale and the site's path prefix, always part of it) and nothing of
    the request: reading request, session, g, current_user, csrf_token or the flashed messages
    there is an error, so what it shows cannot depend on anything the key leaves out. A
    person's own values go in `live`: each is rendered as a marker and put in, escaped, on every
    request.
    """
    kept: dict[tuple, Markup] = {}

    def frame(name: str, live: dict | None = None, **key) -> Markup:
        from navigator.i18n import get_locale

        live = live or {}
        found_key = (name, str(get_locale()), request.script_root, tuple(sorted(
            (k, tuple(sorted(v)) if isinstance(v, set | frozenset | list) else v)
            for k, v in key.items())))
        found = kept.get(found_key)
        if found is None:
            markers = {k: f"\x1e{k}\x1e" for k in live}
            found = Markup(app.jinja_env.get_template(name).render(
                {**_PER_REQUEST, **key, **markers}))
            if not app.jinja_env.auto_reload:  # while templates are edited, always afresh
                if len(kept) >= FRAGMENTS_KEPT:
                    kept.clear()
                kept[found_key] = found
        for k, value in live.items():
            found = Markup(found.replace(f"\x1e{k}\x1e", escape(value)))
        return found

    app.jinja_env.globals["frame"] = frame
