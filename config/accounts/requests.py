"""The request a view gets behind `LoginRequiredMiddleware` (or `login_required`).

Its user is a `User`, never anonymous. For annotations only (import it under
`TYPE_CHECKING`); nothing uses it at run time.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
