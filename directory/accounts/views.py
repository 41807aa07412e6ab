"""Sign-up, sign-in and out, email confirmation, password reset and the account pages."""

import time
import unicodedata
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import confirm_login, current_user, login_required, logout_user
from werkzeug.exceptions import BadRequest

from directory import i18n, tenancy
from directory.accounts import freshness, operations, sessions, totp
from directory.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    CodeForm,
    LoginForm,
    PasswordResetForm,
    ReauthForm,
    RegisterForm,
    ResetRequestForm,
)
from directory.accounts.models import User
from directory.db import db, unless_taken
from directory.unit_of_work import unit_of_work
from directory.validation import is_row_id
from directory.web import client_ip

bp = Blueprint("accounts", __name__)

#: Where a signed-in user lands when there is no (safe) `next`.
DASHBOARD = "/dashboard"
LOGIN_FAILED = "Email or password is incorrect."
CODE_FAILED = "That code is not right. Enter the code your app shows now."
REAUTH_FAILED = "Password or code is incorrect."
DEACTIVATED = (
    "This account has been deactivated, so it cannot sign in. If you think that is a mistake, "
    "reply to any message we sent you."
)
#: Session keys: a sign-in waiting for its code, and a second factor being set up.
PENDING = "pending_sign_in"
SETUP = "totp_setup"
#: Where the first sign-in after a sign-up goes (the page the sign-up started from, such as
#: a listing's claim page), kept in this browser's session.
AFTER_SIGN_UP = "after_sign_up"
#: Seconds between the right password and the code before the sign-in starts over.
PENDING_MAX_AGE = 5 * 60


@bp.route("/register", methods=["GET", "POST"])
@unit_of_work
def register():
    if current_user.is_authenticated:
        return redirect(DASHBOARD)
    form = RegisterForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        fields = {
            "name": form.name.data,
            "email": form.email.data,
            "password": form.password.data,
            "practice_name": form.practice_name.data,
        }
        if unless_taken(False, operations.register, **fields) is False:
            # A simultaneous sign-up took the address or the practice's slug: once more sees it.
            operations.register(**fields)
        if form.next.data and _safe_next(form.next.data) != DASHBOARD:
            session[AFTER_SIGN_UP] = _safe_next(form.next.data)
        # The same page whether the address was new or already had an account.
        return render_template("accounts/check_email.html", email=form.email.data)
    return render_template("accounts/register.html", form=form)


@bp.route("/verify/<token>", methods=["GET", "POST"])
@unit_of_work
def verify(token: str):
    confirmation = operations.read_confirmation(token)
    if confirmation is None:
        return render_template("accounts/link_invalid.html", purpose="confirm"), 400
    if request.method == "GET" or confirmation.is_done:
        # Confirming takes a click (a POST): mail scanners that open links change nothing.
        return render_template("accounts/verify.html", confirmation=confirmation)
    # The address may have been taken since confirm_email looked: the unique index says so.
    outcome = unless_taken("taken", operations.confirm_email, confirmation)
    if outcome == "taken":
        flash(_("That address now belongs to another account, so yours was not changed."), "error")
    elif outcome == "changed":
        flash(_("Your email address is now %(email)s.", email=confirmation.address), "info")
    else:
        flash(_("Thank you: your email address is confirmed."), "info")
    if current_user.is_authenticated:
        return redirect(url_for(".index"))
    return redirect(url_for(".login"))


@bp.route("/login", methods=["GET", "POST"])
@unit_of_work
def login():
    form = LoginForm()
    asked = form.next.data if request.method == "POST" else request.args.get("next")
    target = _safe_next(asked or session.get(AFTER_SIGN_UP))
    if current_user.is_authenticated:
        return redirect(target)
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    unconfirmed = False
    if form.validate_on_submit():
        result = operations.sign_in(form.email.data, form.password.data, client_ip())
        if result.status == "ok":
            session.pop(AFTER_SIGN_UP, None)
        if result.status == "ok":
            target = _landing(result.user, target)
        if result.status == "ok" and not result.user.totp_secret:
            sessions.sign_in_browser(result.user, remember=form.remember.data)
            return redirect(target)
        if result.status == "ok":
            # The password was right; the sign-in completes once the code is right too.
            session[PENDING] = {
                "u": result.user.id,
                "v": result.user.session_version,
                "at": int(time.time()),
                "remember": bool(form.remember.data),
                "next": target,
            }
            return redirect(url_for(".login_code"))
        if result.status == "unconfirmed":
            unconfirmed = True
        elif result.status == "deactivated":
            form.form_errors.append(DEACTIVATED)
        else:
            form.form_errors.append(LOGIN_FAILED)
    return render_template("accounts/login.html", form=form, unconfirmed=unconfirmed)


@bp.route("/login/code", methods=["GET", "POST"])
@unit_of_work
def login_code():
    user, pending = _pending_sign_in()
    if user is None:
        session.pop(PENDING, None)
        if request.method == "POST":
            flash(_("That took too long: please sign in again."), "info")
        return redirect(url_for(".login"))
    form = CodeForm()
    if form.validate_on_submit():
        right = operations.check_code(user, form.code.data, client_ip())
        if right:
            session.pop(PENDING, None)
            sessions.sign_in_browser(user, remember=pending.get("remember") is True)
            return redirect(_safe_next(pending.get("next")))
        form.code.errors.append(CODE_FAILED)
    return render_template("accounts/login_code.html", form=form)


@bp.post("/language")
@unit_of_work
def language():
    """The language switch: remember the choice (cookie; signed in, the account too) and show
    the page the switch was on, in that language."""
    chosen = request.form.get("language", "")
    if chosen not in i18n.LANGUAGES:
        abort(400)
    if current_user.is_authenticated:
        operations.set_language(current_user._get_current_object(), chosen)
    response = redirect(_safe_next(request.form.get("next")))
    i18n.remember(response, chosen)
    return response


@bp.post("/logout")
@unit_of_work
def logout():
    """Sign this browser out: its session ends, other devices stay signed in."""
    if current_user.is_authenticated and (ended := sessions.current_id()) is not None:
        sessions.end(current_user._get_current_object(), ended)
    _forget_browser()
    # Messages for the one who leaves are not for the next person on this browser.
    session.pop("_flashes", None)
    flash(_("You are signed out."), "info")
    return redirect(url_for("public.index"))


def _forget_browser() -> None:
    logout_user()
    freshness.forget()
    session.pop(PENDING, None)
    session.pop(SETUP, None)


@bp.route("/password/reset", methods=["GET", "POST"])
@unit_of_work
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        operations.request_password_reset(form.email.data, client_ip())
        # The same page whether the address has an account or not.
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@unit_of_work
def reset(token: str):
    user = operations.user_for_reset_token(token)
    if user is None:
        return render_template("accounts/link_invalid.html", purpose="reset"), 400
    form = PasswordResetForm(account=user)
    if form.validate_on_submit():
        operations.reset_password(user, form.password.data)
        flash(_("Your password has been changed. Sign in with your new password."), "info")
        return redirect(url_for(".login"))
    return render_template("accounts/reset.html", form=form)


@bp.get("/account")
@login_required
def index():
    return render_template(
        "accounts/index.html",
        user=current_user,
        devices=sessions.active(current_user._get_current_object()),
        this_device=sessions.current_id(),
    )


@bp.post("/account/sessions/<id:session_id>/end")
@login_required
@unit_of_work
def end_session(session_id: int):
    """End one of the user's sign-ins ("end this one"); another user's is a 404."""
    user = current_user._get_current_object()
    this_device = sessions.current_id()
    device = sessions.end(user, session_id)
    if device is None:
        abort(404)
    if session_id == this_device:
        _forget_browser()
        flash(_("You are signed out."), "info")
        return redirect(url_for("public.index"))
    flash(_("Signed out %(device)s.", device=sessions.said(device)), "info")
    return redirect(url_for(".index"))


@bp.post("/account/sessions/end")
@login_required
@unit_of_work
def end_all_sessions():
    """Sign out everywhere, this browser included."""
    operations.sign_out_everywhere(current_user._get_current_object())
    _forget_browser()
    flash(_("You are signed out on every device."), "info")
    return redirect(url_for("public.index"))


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
@unit_of_work
def change_email():
    user = current_user._get_current_object()
    form = ChangeEmailForm(account=user)
    if form.validate_on_submit():
        changed = operations.request_email_change(
            user, form.password.data, form.email.data, client_ip()
        )
        if changed:
            flash(
                _(
                    "We have sent a link to %(email)s. Your address changes once you open it; "
                    "until then, keep using your current one.",
                    email=form.email.data,
                ),
                "info",
            )
            return redirect(url_for(".index"))
        form.password.errors.append(_("Password is incorrect."))
    return render_template("accounts/change_email.html", form=form, user=user)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@unit_of_work
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm(account=user)
    if form.validate_on_submit():
        changed = operations.change_password(
            user, form.current_password.data, form.password.data, client_ip()
        )
        if changed:
            # Every session has ended; this browser signs in again with a new one.
            sessions.sign_in_browser(user, remember=False)
            flash(_("Your password has been changed. Other devices have been signed out."), "info")
            return redirect(url_for(".index"))
        form.current_password.errors.append(_("Current password is incorrect."))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/account/confirm", methods=["GET", "POST"])
@login_required
@unit_of_work
def reauth():
    user = current_user._get_current_object()
    form = ReauthForm(account=user)
    target = _safe_next(form.next.data if request.method == "POST" else request.args.get("next"))
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        right = operations.reauthenticate(user, form.password.data, form.code.data, client_ip())
        if right:
            confirm_login()  # a session from a remember-me cookie is fresh again
            freshness.mark()
            return redirect(target)
        form.form_errors.append(REAUTH_FAILED)
    return render_template("accounts/reauth.html", form=form, user=user)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
@unit_of_work
def two_factor():
    user = current_user._get_current_object()
    secret = None if user.totp_secret else session.get(SETUP)
    form = CodeForm()
    if request.method == "POST":
        action = request.form.get("action", "")
        if action not in ("start", "confirm", "cancel", "disable"):
            raise BadRequest()
        if action == "cancel":
            session.pop(SETUP, None)
            return redirect(url_for(".two_factor"))
        # Turning the second factor on or off takes a recent password (and code): a borrowed
        # session must neither lock the owner out nor take their second factor away.
        if not freshness.is_recent():
            flash(_("Please confirm it is you first."), "info")
            return redirect(url_for(".reauth", next=url_for(".two_factor")))
        if action == "start" and not user.totp_secret:
            session[SETUP] = totp.new_secret()
        elif action == "disable" and user.totp_secret:
            if totp.is_required(user):
                flash(_("Platform admins must keep two-step sign-in on."), "error")
            else:
                totp.disable(user)
                flash(_("Two-step sign-in is off."), "info")
        elif action == "confirm" and secret and form.validate_on_submit():
            if totp.enable(user, secret, form.code.data):
                session.pop(SETUP, None)
                flash(_("Two-step sign-in is on: we will ask for a code when you sign in."), "info")
                return redirect(url_for(".two_factor"))
            form.code.errors.append(CODE_FAILED)
        if not form.errors:
            return redirect(url_for(".two_factor"))
    return render_template(
        "accounts/two_factor.html",
        user=user,
        form=form,
        grouped=_grouped(secret) if secret else "",
        uri=totp.provisioning_uri(user, secret) if secret else "",
        required=totp.is_required(user),
    )


def _landing(user: User, target: str) -> str:
    """Where a sign-in leads when nothing else was asked: a platform admin who belongs to no
    practice lands on the admin pages, not on a dashboard offering to start a practice."""
    if target != DASHBOARD or not user.is_admin or tenancy.memberships_of(user):
        return target
    return url_for("admin.index")


def _safe_next(target: str | None) -> str:
    """`target` if it is a path on this site, else the dashboard (no open redirects)."""
    if not target or len(target) > 2000:
        return DASHBOARD
    # "//host" and "/\host" are other sites to browsers, which also drop tabs and newlines.
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return DASHBOARD
    if any(c == "\\" or c.isspace() or unicodedata.category(c)[0] == "C" for c in target):
        return DASHBOARD
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return DASHBOARD
    return target


def _pending_sign_in() -> tuple[User | None, dict]:
    """The user whose password was right and whose code is awaited, while that is recent."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None, {}
    uid, version, at = pending.get("u"), pending.get("v"), pending.get("at")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (uid, version, at)):
        return None, {}
    if time.time() - at > PENDING_MAX_AGE or not is_row_id(uid):
        return None, {}
    user = db.session.get(User, uid)
    # A password change or sign-out meanwhile (session version), or the factor turned off.
    if user is None or user.session_version != version or not user.totp_secret:
        return None, {}
    return user, pending


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
