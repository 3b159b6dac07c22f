"""Sign-in, sign-out and personal API tokens."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from zhifa.accounts import selectors, services, throttle
from zhifa.accounts.forms import LoginForm, PasswordChangeForm
from zhifa.accounts.http import AuthedRequest
from zhifa.common.errors import ServiceError
from zhifa.common.http import client_ip
from zhifa.common.tasks import failed_tasks, scheduled_jobs


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Progressive delay (ADR 0016): a source inside its wait for this account is answered 429, unchecked."""
        # As the form cleans it (strip, NFKC), so that "name " or a full-width variant is the same account to axes.
        username = unicodedata.normalize("NFKC", request.POST.get("username", "").strip())
        ip = client_ip(request)
        wait = throttle.retry_after(username, ip)
        if wait:
            if throttle.is_locked(username, ip):
                return throttle.lockout_response(request, None, {"username": username})
            form = self.get_form()
            response = self.render_to_response(self.get_context_data(form=form, retry_after=wait))
            response.status_code = 429
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)

    def get_success_url(self) -> str:
        user = getattr(self.request, "user", None)
        if user is not None and getattr(user, "password_change_required", False):
            return reverse("accounts:password")
        return super().get_success_url()


@login_required
def password_change(request: AuthedRequest) -> HttpResponse:
    """Change one's own password; a user with a one-time password is kept here until it is done."""
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_change(user=request.user, old_password=form.cleaned_data["old_password"],
                                     new_password=form.cleaned_data["new_password1"])
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            update_session_auth_hash(request, request.user)  # stay signed in (other sessions end)
            messages.success(request, "密码已修改。")
            return redirect("staff:home")
    return render(request, "accounts/password.html",
                  {"form": form, "required": request.user.password_change_required})


logout_view = auth_views.LogoutView.as_view()


@login_required
def tokens(request: AuthedRequest) -> HttpResponse:
    new_token = None
    if request.method == "POST":
        try:
            _row, new_token = services.api_token_create(user=request.user, name=request.POST.get("name", ""))
        except ServiceError as exc:
            messages.error(request, exc.message)
    return render(
        request, "accounts/tokens.html", {"tokens": selectors.api_tokens_for(user=request.user), "new_token": new_token,
                                          "token_days": settings.ZHIFA_API_TOKEN_DAYS},
    )


@login_required
@require_POST
def token_revoke(request: AuthedRequest, token_id: int) -> HttpResponse:
    try:
        services.api_token_revoke(user=request.user, token_id=token_id)
        messages.success(request, "令牌已吊销。")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:tokens")


@login_required
def background_tasks(request: AuthedRequest) -> HttpResponse:
    """System administrators: failed background tasks with their errors and retries, and the periodic jobs'
    schedule (ADR 0028). A failure is never dropped silently: it stays listed here."""
    if not request.user.is_system_admin:
        raise PermissionDenied
    return render(request, "accounts/tasks.html", {
        "failed": failed_tasks(), "jobs": scheduled_jobs(), "max_attempts": settings.ZHIFA_TASK_MAX_ATTEMPTS,
    })


@login_required
@require_GET
def ping(request: AuthedRequest) -> HttpResponse:
    """A signed-in user's minimal page: every middleware and the login check a staff page runs, no data and no
    write. The baseline of the throughput benchmarks (bench/case_page.py, issue 11 point 3)."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
