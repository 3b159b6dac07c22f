"""The request type of a view or API operation that only a signed-in user reaches.

Django types `request.user` as `AbstractBaseUser | AnonymousUser`, so passing it to a service or selector (which take
a `User`) needs a cast or an ignore at every call. A view behind `login_required`, a staff-only middleware, or an
API router with authentication (`ApiTokenAuth`, `django_auth`) annotates its request as `AuthedRequest` instead:
the type says what the decorator or router guarantees. It is only a type; at run time it is Django's `HttpRequest`.
"""

from __future__ import annotations

from django.http import HttpRequest

from zhifa.accounts.models import User


class AuthedRequest(HttpRequest):
    user: User
