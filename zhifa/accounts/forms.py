from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。从同一地址连续输错 %(limit)s 次，该地址将暂时不能登录此账户。"),
        "inactive": _("该账户已停用，请联系本机关管理员。"),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")
        for f in self.fields.values():
            f.widget.attrs["class"] = "form-control"

    def get_invalid_login_error(self) -> forms.ValidationError:
        from django.conf import settings

        return forms.ValidationError(
            self.error_messages["invalid_login"], code="invalid_login",
            params={"limit": settings.AXES_FAILURE_LIMIT},
        )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("原密码"), strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password", "class": "form-control"}))
    new_password1 = forms.CharField(label=_("新密码"), strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password", "class": "form-control"}))
    new_password2 = forms.CharField(label=_("再次输入新密码"), strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password", "class": "form-control"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            raise forms.ValidationError(_("两次输入的新密码不一致。"))
        return data
