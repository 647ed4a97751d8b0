from django import forms

from .models import Channel


class ChannelForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=Channel.Kind.choices)
    url = forms.CharField(
        max_length=2000,
        label="Webhook URL",
        help_text="Checked before it is saved: allow-listed host, public address, "
        "redirects included.",
    )
    trigger = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="Every trigger of this log",
        help_text="Limit the channel to one trigger of this log.",
    )

    def __init__(self, *args, triggers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trigger"].queryset = triggers
