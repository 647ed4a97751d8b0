from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms

from .models import Channel

if TYPE_CHECKING:
    from triggers.models import Trigger


class ChannelForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=Channel.Kind.choices)
    url = forms.CharField(
        max_length=2000,
        label="Webhook URL",
        help_text="Checked before it is saved: allow-listed host, public address, "
        "redirects included.",
    )
    trigger: forms.ModelChoiceField[Trigger] = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="Every trigger of this log",
        help_text="Limit the channel to one trigger of this log.",
    )

    def __init__(self, *args, triggers, **kwargs):
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Trigger]", self.fields["trigger"]).queryset = triggers
