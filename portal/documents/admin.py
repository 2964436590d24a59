"""Admin for issued documents: bureau staff look documents up (scoped through their case) and revoke one
with a logged admin action; nothing else changes here (the status is a protected FSM field)."""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import Role
from portal.cases.admin import ScopedAdminMixin
from portal.documents.models import IssuedDocument


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    case_path = "case"
    list_display = ("title", "kind", "holder_masked", "case", "issued_on", "status")
    list_filter = ("kind", "status", "issued_on")
    search_fields = ("=case__reference_no", "=code", "=subject_key")
    list_select_related = ("case",)
    readonly_fields = (
        "code",
        "kind",
        "title",
        "case",
        "subject_key",
        "holder_masked",
        "issued_on",
        "issued_at",
        "facts",
        "fingerprint",
        "download_path",
        "status",
        "superseded_by",
        "revoked_at",
        "revoked_reason",
        "legacy_token",
    )
    fields = readonly_fields
    actions = ["revoke_documents"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)  # the list, for the action

    def has_delete_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        user = request.user
        return user.is_superuser or (
            user.role == Role.BUREAU and user.has_perm("documents.change_issueddocument")
        )

    @admin.action(description=_("Revoke the selected documents"), permissions=["revoke"])
    def revoke_documents(self, request, queryset):
        from portal.cases.workflow import ActionNotAllowed
        from portal.documents.services import document_revoke

        done = 0
        for document in queryset.select_related("case"):
            try:
                document_revoke(document=document, by=request.user, reason=gettext("Revoked"))
                done += 1
            except ActionNotAllowed as exc:
                text = f"{document.title} {document.holder_masked}: {exc}"
                self.message_user(request, text, messages.ERROR)
        if done:
            self.message_user(request, _("%(n)d document(s) revoked.") % {"n": done}, messages.SUCCESS)
