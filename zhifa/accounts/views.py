"""Sign-in, sign-out and personal API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhifa.accounts import selectors, services
from zhifa.accounts.forms import LoginForm
from zhifa.common.errors import ServiceError


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


logout_view = auth_views.LogoutView.as_view()


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    new_token = None
    if request.method == "POST":
        try:
            _row, new_token = services.api_token_create(user=request.user, name=request.POST.get("name", ""))
        except ServiceError as exc:
            messages.error(request, exc.message)
    return render(
        request, "accounts/tokens.html", {"tokens": selectors.api_tokens_for(user=request.user), "new_token": new_token}
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        services.api_token_revoke(user=request.user, token_id=token_id)
        messages.success(request, "令牌已吊销。")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:tokens")
