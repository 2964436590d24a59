from django import forms
from django.utils.translation import gettext_lazy as _

from teachers.models import CertificateState, TeacherStage


class ApplyForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=TeacherStage.choices)
    subject = forms.CharField(label=_("Subject"), max_length=64)
    exam_pass_no = forms.CharField(label=_("Exam pass certificate number"), max_length=64)
    mandarin_cert_no = forms.CharField(label=_("Mandarin certificate number"), max_length=64)
    medical_report_no = forms.CharField(label=_("Medical report number"), max_length=64)
    delivery_address = forms.CharField(
        label=_("Delivery address"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddressForm(forms.Form):
    delivery_address = forms.CharField(
        label=_("Delivery address"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class QueueFilter(forms.Form):
    state = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Every status")), *CertificateState.choices]
    )
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("Every stage")), *TeacherStage.choices]
    )
