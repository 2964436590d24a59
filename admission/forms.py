"""Forms of the admission pages; the services do the checking that needs the database."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.forms import AccessibleFormMixin
from portal.orgs.models import Stage


class RoundForm(AccessibleFormMixin, forms.Form):
    year = forms.IntegerField(label=_("Entry year"), min_value=2000, max_value=2100)
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)


class SeedForm(AccessibleFormMixin, forms.Form):
    seed = forms.CharField(
        label=_("Lottery seed"),
        max_length=64,
        required=False,
        help_text=_("Leave empty for a random seed; or enter a public value fixed in advance."),
    )


class RunForm(AccessibleFormMixin, forms.Form):
    dry_run = forms.BooleanField(label=_("Dry run (show the result, write nothing)"), required=False)


class ObjectionForm(AccessibleFormMixin, forms.Form):
    entry_no = forms.IntegerField(
        label=_("Entry number on the notice (optional)"), min_value=1, required=False
    )
    reason = forms.CharField(
        label=_("Facts and reason"), widget=forms.Textarea(attrs={"rows": 6}), max_length=2000
    )


class WarningForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices, initial=Stage.PRIMARY)
    start_year = forms.IntegerField(
        label=_("From entry year"), min_value=2000, max_value=2100, required=False
    )


class ZoneImportForm(AccessibleFormMixin, forms.Form):
    file = forms.FileField(label=_("Zone list (.xlsx)"))
