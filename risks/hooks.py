"""Extension points that later apps (triggers) plug into, so risks never names them.

Each is a typed ``config.registry.Registry`` (reset around every test by the autouse
``registries`` fixture); a later app registers from its ``AppConfig.ready()``.

- ``SUBMIT_CHECKS``: ``check(acceptance) -> str | None``, an error message or None;
  submitting for signature fails with every message returned. Read-only.
- ``ACCEPTANCE_SAVED``: ``hook(acceptance, actor) -> None`` runs in the write's
  transaction after the acceptance is created or its content changes (triggers keeps
  the *expiry* trigger in step). It may write its own rows, never the acceptance's.
- ``MITIGATION_REMOVING``: ``hook(mitigation, actor, reason) -> None`` runs in the
  edit's transaction just before a mitigation is deleted; it retires what points at
  the mitigation (triggers disarms and detaches its overdue trigger, whose evaluations
  and fired events are audit rows) or raises ValidationError to refuse the edit.
- ``EMAIL_CONTEXT``: ``contributor(template=..., acceptance=...) -> dict`` adds to the
  context of the acceptance emails (``risks/notify.py``); the risks templates document
  the keys they read (``expiry_caveat`` in ``risk-accepted``). No queries per recipient.
- ``ACCEPTANCE_PANELS``: the acceptance page's slot (``config.panels``); a panel's
  template sees the page context, including ``actions`` (the workflow actions the user
  may take, ``risks.permissions.allowed_actions``), and its prefetches are added to
  ``risks.selectors.acceptance_get``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from config.panels import PanelSlot
from config.registry import Registry

if TYPE_CHECKING:
    from .models import Mitigation, RiskAcceptance


class SubmitCheck(Protocol):
    def __call__(self, acceptance: RiskAcceptance, /) -> str | None: ...


class AcceptanceSaved(Protocol):
    def __call__(self, acceptance: RiskAcceptance, actor: Any, /) -> None: ...


class MitigationRemoving(Protocol):
    def __call__(self, mitigation: Mitigation, actor: Any, reason: str, /) -> None: ...


class EmailContext(Protocol):
    def __call__(self, *, template: str, acceptance: RiskAcceptance) -> dict[str, Any]: ...


SUBMIT_CHECKS = Registry[SubmitCheck]("risks.submit_checks", "Checks before submission.")
ACCEPTANCE_SAVED = Registry[AcceptanceSaved]("risks.acceptance_saved", "After a content save.")
MITIGATION_REMOVING = Registry[MitigationRemoving](
    "risks.mitigation_removing", "Before a mitigation is deleted."
)
EMAIL_CONTEXT = Registry[EmailContext]("risks.email_context", "Context of acceptance emails.")
ACCEPTANCE_PANELS = PanelSlot("risks.acceptance")
