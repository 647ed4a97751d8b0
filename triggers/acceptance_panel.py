"""What the triggers app adds to a risk acceptance's page and emails (registered in
``TriggersConfig.ready()``; risks never names triggers):

- ``PANEL``: the acceptance page's "Triggers" section (``risks.hooks.ACCEPTANCE_PANELS``),
  its triggers prefetched by the page's selector;
- ``email_context``: the accepted email's caveat that a trigger may end the acceptance
  before its expiry date (``risks.hooks.EMAIL_CONTEXT``).
"""

from __future__ import annotations

from typing import Any

from config.panels import Panel

PANEL = Panel(
    key="acceptance-triggers",
    title="Triggers",
    template="triggers/_acceptance_panel.html",
    prefetch=("triggers",),
)


def email_context(*, template: str, acceptance: Any) -> dict[str, Any]:
    if template == "risk-accepted":
        return {"expiry_caveat": "unless a trigger fires first"}
    return {}
