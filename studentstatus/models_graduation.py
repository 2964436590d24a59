"""Graduation (毕业) of the final junior grade and its certificates (学历证明).

The bureau runs the graduation of a school year for its district (:class:`GraduationRun`, a case of item
GRD): a Celery job over chunks of records moves every enrolled pupil of the final junior grade to
``graduated`` (through the record's ``graduate`` transition, with history) and queues the certificate
jobs; each :class:`GraduationCertificate` is registered with the kernel's issued documents and rendered
to PDF in the worker. See docs/workflows/studentstatus.md ("Graduation").
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class RunState(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("graduation run", "Queued")
    RUNNING = "running", pgettext_lazy("graduation run", "Running")
    DONE = "done", pgettext_lazy("graduation run", "Done")


RUN_ACTIVE = (RunState.QUEUED, RunState.RUNNING)


class GraduationRun(ConcurrentTransitionMixin, models.Model):
    """One graduation of a district's final junior grade (初中毕业) for a year (届): its case, who started
    it, and its progress (how many of how many are graduated, certificates issued)."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="studentstatus_graduation"
    )
    district = models.ForeignKey("orgs.District", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("graduating year (届)"))
    graduated_on = models.DateField(_("graduated on"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    total = models.PositiveIntegerField(_("students to graduate"), default=0)
    graduated = models.PositiveIntegerField(_("graduated"), default=0)
    certificates = models.PositiveIntegerField(_("certificates rendered"), default=0)
    state = FSMField(
        _("state"), max_length=16, choices=RunState.choices, default=RunState.QUEUED, protected=True
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "year"],
                condition=Q(state__in=RUN_ACTIVE),
                name="one_active_graduation_run",
            )
        ]
        verbose_name = _("graduation run")
        verbose_name_plural = _("graduation runs")

    def __str__(self):
        return f"{self.district} {self.year} ({self.get_state_display()})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.graduated / self.total))

    @transition(
        field=state, source=RunState.QUEUED, target=RunState.RUNNING, permission=lambda r, u: u is None
    )
    def start(self, *, total: int):
        """The worker takes the run up; ``total`` pupils of the final junior grade are to graduate."""
        self.total = total

    @transition(field=state, source=RunState.RUNNING, target=RunState.DONE, permission=lambda r, u: u is None)
    def finish(self, *, at):
        """Every chunk is done: the run and its case are complete (certificates may still be rendering)."""
        self.finished_at = at


class GraduationCertificate(models.Model):
    """The graduation certificate (学历证明) of one record — at most one per record, so a second run issues
    none. ``document`` is its entry in the kernel's issued documents (the QR code's ``/verify/<code>/``);
    ``pdf`` is the rendered file, written by the worker."""

    record = models.OneToOneField(
        "studentstatus.StudentRecord", on_delete=models.PROTECT, related_name="graduation_certificate"
    )
    run = models.ForeignKey(GraduationRun, on_delete=models.PROTECT, related_name="certificate_set")
    certificate_no = models.CharField(_("certificate number"), max_length=40, unique=True)
    school = models.ForeignKey("orgs.School", on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(
        "documents.IssuedDocument", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pdf = models.FileField(_("PDF"), upload_to="studentstatus/certificates/%Y/", blank=True)
    rendered_at = models.DateTimeField(_("rendered at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "pk"]
        verbose_name = _("graduation certificate (学历证明)")
        verbose_name_plural = _("graduation certificates (学历证明)")

    def __str__(self):
        return self.certificate_no
