"""Password forms: Django's own, with the ledger's email helper and audited saves."""

from __future__ import annotations

import logging

from django.contrib.auth import forms as auth_forms
from django.core.mail import EmailMultiAlternatives

from config.emails import render_email
from config.history import stamp

logger = logging.getLogger(__name__)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form (signed, expiring, single-use token; the same answer for any
    address), sending the ledger's text + HTML email. Links use SITE_URL, never the
    request's Host header."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        rendered = render_email(
            "password-reset",
            {
                "user": context["user"],
                "uid": context["uid"],
                "token": context["token"],
                "valid_minutes": context.get("valid_minutes"),
            },
            time_zone=context["user"].time_zone,
        )
        message = EmailMultiAlternatives(rendered.subject, rendered.text, from_email, [to_email])
        message.attach_alternative(rendered.html, "text/html")
        try:
            message.send()
        except Exception:  # as Django's form: the page answers the same either way
            logger.exception("Failed to send a password-reset email to user %s", context["user"].pk)


class SetPasswordForm(auth_forms.SetPasswordForm):
    def save(self, commit=True):
        stamp(self.user, actor=self.user, reason="password reset by email")
        return super().save(commit)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def save(self, commit=True):
        stamp(self.user, actor=self.user, reason="password changed")
        return super().save(commit)
