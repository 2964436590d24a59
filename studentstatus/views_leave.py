"""The guardian's pages (phone first) to apply for a suspension (休学) with the hospital certificate, a
resumption (复学) with the medical certificate, and a correction (信息更正). They call the same services as
the API (through ``api.CREATE``); the case page (views.case_page) follows the case."""

import contextlib

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from portal.cases.workflow import ActionNotAllowed
from studentstatus import api
from studentstatus.models import SUSPENSION_MONTHS, CorrectionField
from studentstatus.services.suspensions import check_certificate_file
from studentstatus.views import _errors_into

CERTIFICATE_ACCEPT = "application/pdf,image/jpeg"


class SuspensionForm(forms.Form):
    student_id_number = forms.CharField(label=gettext_lazy("Student's ID number"), max_length=18)
    months = forms.TypedChoiceField(
        label=gettext_lazy("Months"),
        coerce=int,
        choices=[(m, m) for m in SUSPENSION_MONTHS],
        initial=12,
        help_text=gettext_lazy("3 to 12 months; at most 24 months in a row with extensions."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(
        label=gettext_lazy("Hospital certificate (PDF or JPEG)"),
        widget=forms.ClearableFileInput(attrs={"accept": CERTIFICATE_ACCEPT}),
    )


class ResumptionForm(forms.Form):
    student_id_number = forms.CharField(label=gettext_lazy("Student's ID number"), max_length=18)
    file = forms.FileField(
        label=gettext_lazy("Medical certificate (PDF or JPEG)"),
        widget=forms.ClearableFileInput(attrs={"accept": CERTIFICATE_ACCEPT}),
    )


class CorrectionForm(forms.Form):
    student_id_number = forms.CharField(label=gettext_lazy("Student's ID number"), max_length=18)
    field = forms.ChoiceField(label=gettext_lazy("What to correct"), choices=CorrectionField.choices)
    new_value = forms.CharField(
        label=gettext_lazy("Correct value"),
        max_length=100,
        help_text=gettext_lazy(
            "As in the household register (户口簿); gender M or F, birth date YYYY-MM-DD. The ID number "
            "cannot be changed here."
        ),
    )


def _apply(request, *, kind: str, form_class, title: str, certificate: str = ""):
    form = form_class(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("file", None)
        try:
            if upload is not None:  # a wrong file is refused before anything is applied for
                check_certificate_file(upload)
            obj = api.CREATE[kind][1](request.user, data)
        except ValidationError as exc:
            _errors_into(form, exc)
            status = 409 if isinstance(exc, ActionNotAllowed) else 400
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            status = 403
        else:
            if upload is not None:
                # its own transaction, after the application's: should the file fail now, the case page
                # shows the certificate as missing and takes it again
                with contextlib.suppress(ValidationError, PermissionDenied):
                    api.attach(kind, obj, by=request.user, kind_of_file=certificate, uploaded_file=upload)
            return redirect("studentstatus:case", kind, obj.case.reference_no)
    return render(
        request,
        "studentstatus/apply.html",
        {"form": form, "title": title, "multipart": certificate != ""},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def suspension_apply(request):
    return _apply(
        request,
        kind="suspensions",
        form_class=SuspensionForm,
        title=_("Apply for a suspension of studies (休学)"),
        certificate="hospital_certificate",
    )


@login_required
@require_http_methods(["GET", "POST"])
def resumption_apply(request):
    return _apply(
        request,
        kind="resumptions",
        form_class=ResumptionForm,
        title=_("Apply to resume studies (复学)"),
        certificate="medical_certificate",
    )


@login_required
@require_http_methods(["GET", "POST"])
def correction_apply(request):
    return _apply(
        request,
        kind="corrections",
        form_class=CorrectionForm,
        title=_("Correct the student record (信息更正)"),
    )
