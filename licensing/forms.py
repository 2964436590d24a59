from django import forms
from django.utils.translation import gettext_lazy as _

from licensing.models import Kind, Level
from portal.cases.forms import UploadForm
from portal.core.forms import AccessibleFormMixin


class ApplyForm(AccessibleFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of application"), choices=Kind.choices)
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=32,
        help_text=_("18 characters, e.g. 91110108551385082Q."),
    )
    school_name = forms.CharField(label=_("School name"), max_length=200)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    address = forms.CharField(label=_("School address"), max_length=300)
    capacity = forms.IntegerField(label=_("Capacity (pupils)"), min_value=1, max_value=100000)


class NoteForm(AccessibleFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AcceptForm(NoteForm):
    missing = forms.MultipleChoiceField(
        label=_("Non-key materials still missing (容缺)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, materials=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["missing"].choices = [(m["name"], m["name"]) for m in materials if not m["key"]]


class MaterialUploadForm(UploadForm):
    """An upload of one material of the application's list (the ones to upload first)."""

    kind = forms.ChoiceField(label=_("Which material is this?"))

    def __init__(self, *args, materials=(), **kwargs):
        super().__init__(*args, **kwargs)
        to_upload = [(m["name"], m["name"]) for m in materials if m["source"] == "upload"]
        fetched = [(m["name"], m["name"]) for m in materials if m["source"] != "upload"]
        choices = [("", _("Choose…"))]
        if to_upload:
            choices.append((_("Materials to upload"), to_upload))
        if fetched:
            choices.append((_("Records we fetch (upload only if we ask you to)"), fetched))
        self.fields["kind"].choices = choices
