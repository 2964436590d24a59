"""Attachments: uploads checked (type, size, archivable PDF) and kept with the case; orphans swept."""

import datetime as dt
import hashlib
import secrets
import unicodedata

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.cases import workflow
from portal.cases.actions import CaseAction
from portal.cases.models import (
    Attachment,
    Case,
)
from portal.cases.scoping import can_handle, is_applicant
from portal.cases.services.events import case_log_event
from portal.cases.workflow import ActionNotAllowed
from portal.core.filetypes import sniff_content_type
from portal.core.pdfinspect import PDF_READ_ERRORS, inspect_pdf

# --- attachments --------------------------------------------------------------------------------------


def _clean_original_name(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc").strip()
    return name[:255]


def _refuse_unarchivable_pdf(data: bytes) -> None:
    """A PDF the electronic archive would refuse (DA/T 70 usability and security) is refused now, with a
    message the family can act on, rather than keeping their case out of the archive later."""
    try:
        findings = inspect_pdf(data)
    except PDF_READ_ERRORS:
        findings = None
    if findings is None or findings.pages < 1:
        raise ValidationError(
            {
                "file": [
                    _(
                        "This PDF cannot be opened (it is damaged or password-protected). Upload it again, "
                        "or upload a photo or scan (JPEG or PNG)."
                    )
                ]
            }
        )
    if findings.active or findings.embedded_files:
        raise ValidationError(
            {
                "file": [
                    _(
                        "This PDF contains scripts, actions, media or attached files, which the electronic "
                        "archive does not keep. Print it to a new PDF, or upload a photo or scan (JPEG or "
                        "PNG)."
                    )
                ]
            }
        )


def attachment_add(*, case: Case, by, kind: str, uploaded_file) -> Attachment:
    """Store an uploaded material under a random name after checking its size and its real type (from
    its first bytes); keep the original name for display, record its SHA-256 and write an event.

    The applicant or staff who handle the case only; not on a closed case."""
    kind = (kind or "").strip()
    if not kind:
        raise ValidationError({"kind": [_("Say which material this file is.")]})
    if not isinstance(uploaded_file, File):
        uploaded_file = File(uploaded_file, name=getattr(uploaded_file, "name", ""))
    with transaction.atomic():
        locked = workflow.lock(case)
        if not (is_applicant(by, locked) or can_handle(by, locked)):
            raise PermissionDenied(_("You may not add files to this case."))
        if locked.is_final:
            raise ActionNotAllowed(
                _("Case %(reference_no)s is closed; no more files can be added.")
                % {"reference_no": locked.reference_no},
                code="final",
            )
        limit = settings.ATTACHMENT_MAX_BYTES
        too_big = ValidationError(
            {"file": [_("The file is larger than %(mb).0f MB.") % {"mb": limit / (1024 * 1024)}]}
        )
        if uploaded_file.size is not None and uploaded_file.size > limit:
            raise too_big
        uploaded_file.seek(0)
        head = uploaded_file.read(16)
        content_type = sniff_content_type(head)
        allowed = settings.ATTACHMENT_ALLOWED_TYPES
        if not head:
            raise ValidationError({"file": [_("The file is empty.")]})
        if content_type not in allowed:
            raise ValidationError(
                {"file": [_("Only PDF, JPEG and PNG files are accepted; this file is none of them.")]}
            )
        digest, size = hashlib.sha256(), 0
        for chunk in uploaded_file.chunks():
            digest.update(chunk)
            size += len(chunk)
            if size > limit:
                raise too_big
        if content_type == "application/pdf":
            uploaded_file.seek(0)
            _refuse_unarchivable_pdf(uploaded_file.read())
        extension = allowed[content_type]
        attachment = Attachment(
            case=locked,
            kind=kind[:100],
            stored_name=secrets.token_hex(16) + extension,
            original_name=_clean_original_name(uploaded_file.name) or f"{kind[:50]}{extension}",
            content_type=content_type,
            size=size,
            sha256=digest.hexdigest(),
            uploaded_by=by,
        )
        uploaded_file.seek(0)
        attachment.file.save(attachment.stored_name, uploaded_file, save=False)
        try:
            with transaction.atomic():
                attachment.save()
                case_log_event(
                    case=locked,
                    action=CaseAction.ATTACHMENT_ADDED,
                    by=by,
                    note=attachment.original_name,
                    data={"attachment": attachment.pk, "kind": attachment.kind, "sha256": attachment.sha256},
                )
        except BaseException:
            attachment.file.delete(save=False)  # no orphan file when the rows are not written
            raise
    return attachment


def attachments_sweep_orphans(*, older_than: dt.timedelta) -> int:
    """Delete stored attachment files that no attachment row refers to and that are older than
    ``older_than`` — left by a process killed between writing the file and committing its row (a failed
    write already removes its file). They hold personal data nobody can reach, so they are not kept.
    The age keeps a file whose row is still being committed. Returns how many were deleted."""
    from django.core.files.storage import default_storage

    folder = "attachments"
    try:
        _dirs, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return 0
    known: set[str] = set()
    for start in range(0, len(names), 1000):  # bounded IN lists, whatever the folder holds
        chunk = names[start : start + 1000]
        known.update(Attachment.objects.filter(stored_name__in=chunk).values_list("stored_name", flat=True))
    cutoff = timezone.now() - older_than
    deleted = 0
    for name in sorted(set(names) - known):
        path = f"{folder}/{name}"
        try:
            if default_storage.get_modified_time(path) >= cutoff:
                continue
            default_storage.delete(path)
        except FileNotFoundError:  # another sweeper got there first
            continue
        deleted += 1
    return deleted
