"""Email subjects are headers, not HTML: no escaping, one line."""

from __future__ import annotations

import pytest
from django.core import mail

from config.emails import render_email

AWKWARD = 'R&D\'s <legacy> "frontend"'


@pytest.mark.parametrize(
    "template, context, expected",
    [
        ("test-message", {"name": AWKWARD}, f"Test message for {AWKWARD}"),
        ("trigger-fired", {"trigger": {"name": AWKWARD}}, f"Trigger fired: {AWKWARD}"),
        (
            "risk-signature-requested",
            {"acceptance": {"title": "Tokens & cookies <2026>"}},
            "Your signature is requested: Tokens & cookies <2026>",
        ),
    ],
)
def test_subjects_with_ampersand_quote_and_angle_bracket_read_as_typed(template, context, expected):
    rendered = render_email(template, context)
    assert rendered.subject == expected
    assert "&amp;" not in rendered.subject and "&#x27;" not in rendered.subject
    # The HTML body still escapes the same text.
    if template == "trigger-fired":
        assert "R&amp;D" in rendered.html


@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\x0b", "\u2028", "\x85", "\x00"])
def test_a_subject_is_one_line_whatever_the_title_holds(breaker):
    rendered = render_email("test-message", {"name": f"x{breaker}Bcc: victim@example.test"})
    assert rendered.subject == "Test message for x Bcc: victim@example.test"
    message = mail.EmailMultiAlternatives(rendered.subject, rendered.text, to=["a@example.test"])
    assert "\n" not in message.message()["Subject"]
