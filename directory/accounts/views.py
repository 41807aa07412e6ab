"""Sign-up, sign-in and out, email confirmation, password reset and the account pages."""

import unicodedata
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    after_this_request,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import TooManyRequests

from directory.accounts import operations
from directory.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    LoginForm,
    PasswordResetForm,
    RegisterForm,
    ResetRequestForm,
)
from directory.db import db

bp = Blueprint("accounts", __name__)

#: Where a signed-in user lands when there is no (safe) `next`.
DASHBOARD = "/dashboard"
LOGIN_FAILED = "Email or password is incorrect."


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(DASHBOARD)
    form = RegisterForm()
    if form.validate_on_submit():
        fields = {
            "name": form.name.data,
            "email": form.email.data,
            "password": form.password.data,
            "practice_name": form.practice_name.data,
        }
        try:
            operations.register(**fields)
            db.session.commit()
        except IntegrityError:
            # A simultaneous sign-up took the address or the practice's slug: once more sees it.
            db.session.rollback()
            operations.register(**fields)
            db.session.commit()
        # The same page whether the address was new or already had an account.
        return render_template("accounts/check_email.html", email=form.email.data)
    return render_template("accounts/register.html", form=form)


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify(token: str):
    confirmation = operations.read_confirmation(token)
    if confirmation is None:
        return render_template("accounts/link_invalid.html", purpose="confirm"), 400
    if request.method == "GET" or confirmation.is_done:
        # Confirming takes a click (a POST): mail scanners that open links change nothing.
        return render_template("accounts/verify.html", confirmation=confirmation)
    try:
        outcome = operations.confirm_email(confirmation)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        outcome = "taken"
    if outcome == "taken":
        flash("That address now belongs to another account, so yours was not changed.", "error")
    elif outcome == "changed":
        flash(f"Your email address is now {confirmation.address}.", "info")
    else:
        flash("Thank you: your email address is confirmed.", "info")
    if current_user.is_authenticated:
        return redirect(url_for(".index"))
    return redirect(url_for(".login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    target = _safe_next(form.next.data if request.method == "POST" else request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target)
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    unconfirmed = False
    if form.validate_on_submit():
        try:
            result = operations.sign_in(form.email.data, form.password.data, _client_ip())
        except operations.Throttled:
            raise _throttled() from None
        db.session.commit()
        if result.status == "ok":
            # Never a long-lived cookie for a platform admin.
            login_user(result.user, remember=form.remember.data and not result.user.is_admin)
            return redirect(target)
        if result.status == "unconfirmed":
            unconfirmed = True
        else:
            form.form_errors.append(LOGIN_FAILED)
    return render_template("accounts/login.html", form=form, unconfirmed=unconfirmed)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        operations.sign_out(current_user._get_current_object())
        db.session.commit()
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("public.index"))


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        operations.request_password_reset(form.email.data)
        db.session.commit()
        # The same page whether the address has an account or not.
        return render_template("accounts/reset_sent.html", email=form.email.data)
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    user = operations.user_for_reset_token(token)
    if user is None:
        return render_template("accounts/link_invalid.html", purpose="reset"), 400
    form = PasswordResetForm(account=user)
    if form.validate_on_submit():
        operations.reset_password(user, form.password.data)
        db.session.commit()
        flash("Your password has been changed. Sign in with your new password.", "info")
        return redirect(url_for(".login"))
    return render_template("accounts/reset.html", form=form)


@bp.get("/account")
@login_required
def index():
    return render_template("accounts/index.html", user=current_user)


@bp.route("/account/email", methods=["GET", "POST"])
@login_required
def change_email():
    user = current_user._get_current_object()
    form = ChangeEmailForm(account=user)
    if form.validate_on_submit():
        try:
            changed = operations.request_email_change(
                user, form.password.data, form.email.data, _client_ip()
            )
        except operations.Throttled:
            raise _throttled() from None
        db.session.commit()
        if changed:
            flash(
                f"We have sent a link to {form.email.data}. Your address changes once you open "
                "it; until then, keep using your current one.",
                "info",
            )
            return redirect(url_for(".index"))
        form.password.errors.append("Password is incorrect.")
    return render_template("accounts/change_email.html", form=form, user=user)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm(account=user)
    if form.validate_on_submit():
        try:
            changed = operations.change_password(
                user, form.current_password.data, form.password.data, _client_ip()
            )
        except operations.Throttled:
            raise _throttled() from None
        db.session.commit()
        if changed:
            login_user(user)  # this browser stays signed in; every other session has ended
            flash("Your password has been changed. Other devices have been signed out.", "info")
            return redirect(url_for(".index"))
        form.current_password.errors.append("Current password is incorrect.")
    return render_template("accounts/change_password.html", form=form)


@bp.teardown_app_request
def _forget_user(error: BaseException | None) -> None:
    # Flask-Login caches the user in `g`, which lives as long as the app context: where one
    # outlives a request (tests keep one pushed), the next request must not inherit the user.
    g.pop("_login_user", None)


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


def _client_ip() -> str:
    # Behind a proxy this is only right with ProxyFix configured for the number of proxies.
    return request.remote_addr or ""


def _throttled() -> TooManyRequests:
    seconds = current_app.config["LOGIN_THROTTLE_SECONDS"]

    @after_this_request
    def _retry_after(response):
        response.headers["Retry-After"] = str(seconds)
        return response

    return TooManyRequests(
        description=(
            "Too many failed sign-in attempts. For your security, please wait "
            f"{max(1, seconds // 60)} minutes before trying again, or reset your password."
        ),
        retry_after=seconds,
    )
