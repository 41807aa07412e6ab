"""A multi-tenant directory of spa and medical massage practitioners."""

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: config, database, sign-in, pages, API and commands."""
    from directory import cli, config, health, i18n, search, tenancy, warmup, web
    from directory.accounts import sessions
    from directory.accounts import views as accounts
    from directory.admin import claims as admin_claims
    from directory.admin import views as admin
    from directory.api import views as api
    from directory.dashboard import views as dashboard
    from directory.db import db
    from directory.extensions import csrf, listen, listen_to_engines
    from directory.hsds import views as hsds
    from directory.inquiries import views as inquiries
    from directory.insights import tally
    from directory.insights import views as insights
    from directory.listings import views as claims
    from directory.practices import public as practice_pages
    from directory.practices import views as practices
    from directory.practitioners import credentials, editor, fields
    from directory.practitioners import views as practitioners
    from directory.public import counts, landing, seo, sitemaps
    from directory.public import views as public
    from directory.search import views as search_pages

    app = Flask(
        __name__,
        instance_path=os.environ.get("DIRECTORY_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config.load(app, test_config)
    warmup.init_app(app)
    tally.init_app(app)
    if hops := int(app.config["PROXY_FIX_HOPS"]):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.url_map.converters.update(id=web.IdConverter, slug=web.SlugConverter)

    listen()  # every session and engine listener, from extensions.LISTENERS
    db.init_app(app)
    listen_to_engines(app)  # and those that follow the app's config (SQLITE_SYNCHRONOUS)
    # A signed-in browser's session record notes its use before any view reads it.
    app.before_request(sessions.touch)
    # Before the CSRF check, which would otherwise answer for /admin first (see the hook).
    app.before_request(admin.hide_from_non_admins)
    # Before the CSRF check too: its refusal pages read the body as a form.
    app.before_request(web.refuse_unreadable_body)
    csrf.init_app(app)
    sessions.login_manager.init_app(app)
    # English at /, Spanish under /es/ (after sign-in: an account's preference counts).
    i18n.init_app(app)

    web.init_app(app)
    # What templates ask of the domain: may the user do this, may the public see that field.
    app.add_template_global(tenancy.may, "may")
    app.add_template_global(fields.shown_named, "shown")
    for blueprint in (
        public.bp,
        landing.bp,
        seo.bp,
        practitioners.bp,
        claims.bp,
        practice_pages.bp,
        accounts.bp,
        dashboard.bp,
        editor.editor_bp,
        credentials.bp,
        practices.bp,
        inquiries.bp,
        inquiries.inbox_bp,
        insights.bp,
        admin.bp,
        admin_claims.bp,
    ):
        app.register_blueprint(blueprint)
    # The indexer process also keeps the landing pages' counts and the sitemaps' plan file
    # fresh, off the web workers (the counts first: they are due within seconds of a change).
    # And folds in the profile views and search appearances the web workers counted.
    search.init_app(
        app, chores=lambda: (counts.refresh(), sitemaps.refresh_if_due(), tally.fold_if_due())
    )
    app.register_blueprint(search_pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(hsds.bp)
    app.register_blueprint(health.bp)
    cli.init_app(app, migrations=ROOT / "migrations")
    return app
