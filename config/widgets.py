"""Form widgets shared by the apps.

`IsoDateInput`: a date typed as YYYY-MM-DD, the product's one date format
(config.dates). Not `<input type=date>`: Chromium draws that control in the
*browser's* locale (mm/dd/yyyy for an en-US browser) whatever the page's or the
input's `lang` says, so a person would read one format on the page and type another.
A text input with a pattern, a placeholder and a title says the format once, works
the same in every browser, and a browser without JavaScript still checks the pattern
before submitting. The server parses ISO dates whatever the locale (DateField).
"""

from __future__ import annotations

from django import forms

ISO_DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"


class IsoDateInput(forms.DateInput):
    input_type = "text"

    def __init__(self, attrs=None):
        defaults = {
            "placeholder": "YYYY-MM-DD",
            "pattern": ISO_DATE_PATTERN,
            "title": "A date as YYYY-MM-DD, e.g. 2027-03-01",
            "maxlength": "10",
            "autocomplete": "off",
            "spellcheck": "false",
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format="%Y-%m-%d")
