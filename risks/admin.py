"""Admin for risk acceptances: read-only (see `config.admin`).

Acceptances, their mitigations and signatories change through `risks.services` (which
voids signatures on a content edit and re-asks the signatories); signatures and signing
attempts are audit rows that nothing may edit or delete.
"""

from django.contrib import admin

from config.admin import ReadOnlyAdmin, ReadOnlyPlainAdmin

from .models import (
    LedgerEvent,
    Mitigation,
    RequiredSignatory,
    RiskAcceptance,
    Signature,
    SignatureSsoEvidence,
    SigningAttempt,
)


@admin.register(RiskAcceptance)
class RiskAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ("title", "state", "owner", "expires_on", "signing_round", "created_at")
    list_filter = ("state", "finding_source")
    search_fields = ("title", "finding_reference")
    list_select_related = ("owner",)


@admin.register(Mitigation)
class MitigationAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "acceptance", "status", "owner", "due_on")
    list_filter = ("status",)
    list_select_related = ("acceptance", "owner")


@admin.register(RequiredSignatory)
class RequiredSignatoryAdmin(ReadOnlyAdmin):
    list_display = ("user", "meaning", "acceptance", "position")
    list_select_related = ("acceptance", "user")


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ("printed_name", "verdict", "meaning", "acceptance", "signed_at", "void")
    list_filter = ("verdict", "void")
    list_select_related = ("acceptance",)


@admin.register(SignatureSsoEvidence)
class SignatureSsoEvidenceAdmin(ReadOnlyPlainAdmin):
    """How SSO signers authenticated (risks.sso_signing): provider, account, sign-in time."""

    list_display = ("signature", "issuer", "subject", "auth_time", "digest")
    list_select_related = ("signature",)


@admin.register(SigningAttempt)
class SigningAttemptAdmin(ReadOnlyAdmin):
    list_display = ("user", "acceptance", "at", "succeeded", "ip_address")
    list_filter = ("succeeded",)
    list_select_related = ("acceptance", "user")


@admin.register(LedgerEvent)
class LedgerEventAdmin(ReadOnlyPlainAdmin):
    """The keyed chain of signed facts (risks.ledger_chain): read, never written here."""

    list_display = ("acceptance_id", "seq", "kind", "at", "actor_id", "key_id")
    list_filter = ("kind",)
