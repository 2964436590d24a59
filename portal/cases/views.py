"""“My cases” (我的办件): a citizen's own cases across services, or the cases in a staff member's scope.

Every case is read through ``portal.cases.selectors`` (``case_for_user`` answers 404 for a case the user
may not see, also when the reference number is guessed); every change goes through ``portal.cases.services``.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.cases.forms import AttachmentForm
from portal.cases.models import Attachment, CaseStatus, Rating, RatingLevel
from portal.cases.scoping import is_applicant
from portal.cases.selectors import case_for_user, case_summary, case_timeline, my_cases, staff_queue
from portal.cases.services import attachment_add, case_rate
from portal.catalog.models import ServiceItem
from portal.core.forms import AccessibleFormMixin, add_service_errors
from portal.deliveries.selectors import latest_delivery

CASES_PER_PAGE = 20


class RatingForm(AccessibleFormMixin, forms.Form):
    level = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you with how this case was handled?"),
        choices=sorted(RatingLevel.choices, reverse=True),
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        required=False,
        max_length=1000,
        help_text=gettext_lazy("A rating of 1 or 2 is followed up by the bureau within 15 working days."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _state_label(value: str) -> str:
    """The label of a coarse case status; a service app's own state shows as it is stored."""
    if value in CaseStatus.values:
        return str(CaseStatus(value).label)
    return value


class QueueFilterForm(AccessibleFormMixin, forms.Form):
    """The staff queue's filters (the same fields as the API's query parameters)."""

    service = forms.ChoiceField(label=gettext_lazy("Service"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        items = ServiceItem.objects.order_by("order", "code").values_list("code", "name")
        self.fields["service"].choices = [("", _("All services")), *items]
        self.fields["status"].choices = [("", _("Open (not closed)")), *CaseStatus.choices]


def _summaries(request, page):
    return [case_summary(case, user=request.user) for case in page.object_list]


@login_required
def my_cases_page(request):
    """我的办件: the signed-in person's cases of every service — the same selector and summary as
    ``GET /api/v1/cases/``."""
    show = request.GET.get("show", "all")
    if show not in ("all", "open", "closed"):
        show = "all"
    page = Paginator(my_cases(request.user, show=show), CASES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "summaries": _summaries(request, page), "show": show}
    return render(request, "cases/my_cases.html", context)


@login_required
def queue_page(request):
    """待办队列: one queue across services for staff, overdue first, then the soonest deadline."""
    if not (request.user.is_portal_staff or request.user.is_superuser):
        raise PermissionDenied(_("The queue is for staff."))
    form = QueueFilterForm(request.GET or None)
    status = 200
    filters = {}
    if form.is_bound:
        if form.is_valid():
            filters = {k: v for k, v in form.cleaned_data.items() if v}
        else:
            status = 400
    queue = staff_queue(request.user, **filters)
    page = Paginator(queue, CASES_PER_PAGE).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    context = {"page": page, "summaries": _summaries(request, page), "form": form, "query": query}
    return render(request, "cases/queue.html", context, status=status)


def _render_detail(request, case, *, upload_form=None, rating_form=None, status=200):
    applicant = is_applicant(request.user, case)
    rating = Rating.objects.filter(case=case).first()
    can_upload = applicant and not case.is_final
    can_rate = applicant and case.is_final and rating is None
    timeline = [
        {
            "entry": entry,
            "from_label": _state_label(entry.from_state),
            "to_label": _state_label(entry.to_state),
        }
        for entry in case_timeline(case)
    ]
    context = {
        "case": case,
        "is_applicant": applicant,
        "timeline": timeline,
        "attachments": Attachment.objects.filter(case=case).order_by("uploaded_at", "pk"),
        "rating": rating,
        "open_pause": case.pauses.filter(ended_on__isnull=True).first() if case.clock_paused else None,
        "upload_form": (upload_form or AttachmentForm(case=case)) if can_upload else None,
        "rating_form": (rating_form or RatingForm()) if can_rate else None,
        "today": timezone.localdate(),
        "delivery": latest_delivery(case),
        "summary": case_summary(case, user=request.user),
    }
    return render(request, "cases/case_detail.html", context, status=status)


@login_required
def case_detail(request, reference_no: str):
    return _render_detail(request, case_for_user(request.user, reference_no))


@login_required
@require_POST
def attachment_upload(request, reference_no: str):
    case = case_for_user(request.user, reference_no)
    form = AttachmentForm(request.POST, request.FILES, case=case)
    if form.is_valid():
        try:
            attachment = attachment_add(
                case=case,
                by=request.user,
                kind=form.cleaned_data["kind"],
                uploaded_file=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, aliases={"uploaded_file": "file"})
        else:
            messages.success(
                request, _("“%(name)s” has been added to the case.") % {"name": attachment.original_name}
            )
            return redirect("cases:case_detail", reference_no=case.reference_no)
    return _render_detail(request, case, upload_form=form, status=400)


@login_required
@require_POST
def rate(request, reference_no: str):
    case = case_for_user(request.user, reference_no)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            case_rate(
                case=case,
                by=request.user,
                level=form.cleaned_data["level"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("cases:case_detail", reference_no=case.reference_no)
    return _render_detail(request, case, rating_form=form, status=400)


@login_required
def attachment_download(request, reference_no: str, pk: int):
    """A case's file, for whoever may see the case; sent as a download under its original name."""
    case = case_for_user(request.user, reference_no)
    attachment = get_object_or_404(Attachment, case=case, pk=pk)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
