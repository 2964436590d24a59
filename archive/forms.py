"""Filters of the archive pages; bad input comes back as a field error, never a 500."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from portal.core.forms import AccessibleFormMixin


class PackageSearchForm(AccessibleFormMixin, forms.Form):
    q = forms.CharField(
        label=_("Reference number, archival code or name"),
        required=False,
        max_length=100,
        help_text=_("The whole reference number (JY-ENR-2027-000123) or archival code, or part of a name."),
    )
    service = forms.CharField(
        label=_("Service code"),
        required=False,
        max_length=8,
        validators=[RegexValidator(r"^[A-Za-z0-9]+$", _("Letters and digits only, e.g. ENR."))],
    )
    year = forms.IntegerField(label=_("Year archived"), required=False, min_value=2000, max_value=2100)


class RetentionForm(AccessibleFormMixin, forms.Form):
    within_days = forms.IntegerField(
        label=_("Retention ends within (days)"),
        required=False,
        min_value=0,
        max_value=3650,
        initial=90,
        help_text=_("0 lists only packages whose retention period has already ended."),
    )
