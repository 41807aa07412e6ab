"""A multi-tenant directory of spa and medical massage practitioners."""

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: config, database, sign-in, pages, API and commands."""
    from directory import cli, config, search, warmup, web
    from directory.accounts import bp as accounts_bp
    from directory.accounts import login_manager, sessions
    from directory.admin.views import bp as admin_bp
    from directory.admin.views import hide_from_non_admins
    from directory.api import bp as api_bp
    from directory.dashboard import bp as dashboard_bp
    from directory.db import db
    from directory.extensions import csrf, migrate
    from directory.health import bp as health_bp
    from directory.hsds.views import bp as hsds_bp
    from directory.inquiries.views import bp as inquiries_bp
    from directory.inquiries.views import inbox_bp
    from directory.practices.public import bp as practice_pages_bp
    from directory.practices.views import bp as practices_bp
    from directory.practitioners import bp as practitioners_bp
    from directory.practitioners.credentials import bp as credentials_bp
    from directory.practitioners.editor import editor_bp
    from directory.public import bp as public_bp
    from directory.public.landing import bp as landing_bp
    from directory.public.seo import bp as seo_bp

    app = Flask(
        __name__,
        instance_path=os.environ.get("DIRECTORY_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    config.load(app, test_config)
    warmup.init_app(app)
    if hops := int(app.config["PROXY_FIX_HOPS"]):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.url_map.converters.update(id=web.IdConverter, slug=web.SlugConverter)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    # A signed-in browser's session record notes its use before any view reads it.
    app.before_request(sessions.touch)
    # Before the CSRF check, which would otherwise answer for /admin first (see the hook).
    app.before_request(hide_from_non_admins)
    # Before the CSRF check too: its refusal pages read the body as a form.
    app.before_request(web.refuse_unreadable_body)
    csrf.init_app(app)
    login_manager.init_app(app)

    web.init_app(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(landing_bp)
    app.register_blueprint(seo_bp)
    app.register_blueprint(practitioners_bp)
    app.register_blueprint(practice_pages_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(editor_bp)
    app.register_blueprint(credentials_bp)
    app.register_blueprint(practices_bp)
    app.register_blueprint(inquiries_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(admin_bp)
    search.init_app(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(hsds_bp)
    app.register_blueprint(health_bp)
    cli.init_app(app)
    return app
