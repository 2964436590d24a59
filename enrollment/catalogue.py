"""What enrollment registers with the kernel: its service items and its typed event actions."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.cases.actions import register_actions
from portal.catalog.registry import claim

PRIMARY_JUNIOR_ITEM = "ENR"  # 义务教育入学（入学一件事）
KINDERGARTEN_ITEM = "KGE"  # 幼儿园入园


def service_code_for(stage: str) -> str:
    return KINDERGARTEN_ITEM if stage == "kindergarten" else PRIMARY_JUNIOR_ITEM


class EnrollmentAction(models.TextChoices):
    AUTHORISED = "enrollment.authorised", _("Look-ups authorised")
    VERIFICATION_QUEUED = "enrollment.verification_queued", _("Automatic checks queued")
    CHECKED = "enrollment.checked", _("Automatic checks done")
    WAITING_REGISTRY = "enrollment.waiting_registry", _("Waiting for a registry")
    QUALIFIED = "enrollment.qualified", _("Qualified (秒批)")
    SENT_TO_REVIEW = "enrollment.sent_to_review", _("Sent to review")
    APPROVED = "enrollment.approved", _("Approved")
    REJECTED = "enrollment.rejected", _("Rejected")
    SUPPLEMENT_REQUESTED = "enrollment.supplement_requested", _("Supplement requested (容缺)")
    SUPPLEMENT_RECEIVED = "enrollment.supplement_received", _("Supplement received")
    WITHDRAWN = "enrollment.withdrawn", _("Withdrawn")
    ORIGINALS_SEEN = "enrollment.originals_seen", _("Originals checked at the counter")
    ADMITTED = "enrollment.admitted", _("Admitted")


claim(PRIMARY_JUNIOR_ITEM, "enrollment")
claim(KINDERGARTEN_ITEM, "enrollment")
register_actions(EnrollmentAction)
from enrollment import archive as _archive  # noqa: E402, F401 - registers the archive document provider
