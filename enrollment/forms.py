"""Enrollment forms: the parent wizard's steps, the counter form, the review actions and the supplement
upload. They check the shape of the input (an ID number's check digit, a required reason); the services
decide, and their ValidationErrors are put back on these forms (``portal.core.forms.add_service_errors``).
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enrollment.counter import ORIGINALS
from enrollment.models import Residence, State
from portal.core.forms import AccessibleFormMixin
from portal.core.idcodes import normalize_id_number
from portal.orgs.models import Stage

ID_INPUT_ATTRS = {
    "autocomplete": "off",
    "autocapitalize": "characters",
    "spellcheck": "false",
    "maxlength": "18",
    "class": "id-input",
}

RESIDENCE_HELP = {
    Residence.OWNED: _("We fetch the property certificate by your ID number: address, community, area."),
    Residence.RENTED: _("We fetch your residence permit (居住证) and registered lease."),
    Residence.NONE: _(
        "We fetch the no-property proof (无房证明); the child's 户籍 address decides the zone."
    ),
}


def _id_field(label, *, required=True, help_text=""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=30,
        help_text=help_text,
        widget=forms.TextInput(attrs=dict(ID_INPUT_ATTRS)),
    )


def _clean_id(value: str) -> str:
    """The normalised number (upper-case X), or a field error saying what is wrong with it."""
    return normalize_id_number(value)


# --- the parent wizard --------------------------------------------------------------------------------


class StartForm(AccessibleFormMixin, forms.Form):
    """Step 1: what the application is for."""

    stage = forms.ChoiceField(label=_("Which school place?"), choices=Stage.choices, widget=forms.RadioSelect)
    year = forms.TypedChoiceField(label=_("Entry year"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        if len(years) == 1:
            self.fields["year"].initial = years[0]


class ChildForm(AccessibleFormMixin, forms.Form):
    """Step 2: the child's ID number and the authorisation to fetch the records."""

    child_id_number = _id_field(
        _("The child's ID number"),
        help_text=_("18 characters, as on the 户口簿 page of the child. The last one may be X."),
    )
    consent = forms.BooleanField(
        label=_("I authorise the portal to fetch these records for this application."),
        error_messages={"required": _("The portal can only fetch the records with your authorisation.")},
    )

    def __init__(self, *args, guardian_id_number: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.guardian_id_number = guardian_id_number

    def clean_child_id_number(self):
        value = _clean_id(self.cleaned_data["child_id_number"])
        if value == self.guardian_id_number:
            raise ValidationError(_("This is your own ID number; enter the child's."))
        return value


class OtherGuardianForm(AccessibleFormMixin, forms.Form):
    """Step 3: the other guardian, or a single-parent family."""

    other_guardian_id_number = _id_field(
        _("The other guardian's ID number"),
        required=False,
        help_text=_("The child's other parent. Their 户籍 and homes are fetched too."),
    )
    single_parent = forms.BooleanField(
        label=_("We are a single-parent family (no other guardian)"),
        required=False,
    )

    def __init__(self, *args, own_ids: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.own_ids = {i for i in own_ids if i}

    def clean(self):
        cleaned = super().clean()
        value = (cleaned.get("other_guardian_id_number") or "").strip()
        single = cleaned.get("single_parent")
        if single and value:
            self.add_error(
                "other_guardian_id_number", _("Leave the other guardian empty for a single-parent family.")
            )
        elif not single and not value:
            self.add_error(
                "other_guardian_id_number",
                _("Enter the other guardian's ID number, or declare a single-parent family."),
            )
        elif value:
            try:
                value = _clean_id(value)
            except ValidationError as exc:
                self.add_error("other_guardian_id_number", exc)
            else:
                if value in self.own_ids:
                    self.add_error("other_guardian_id_number", _("Enter the other guardian's own ID number."))
                cleaned["other_guardian_id_number"] = value
        return cleaned


class ContinueForm(AccessibleFormMixin, forms.Form):
    """Step 4: nothing to enter — the 学籍 is checked automatically; the page explains how."""


class ResidenceForm(AccessibleFormMixin, forms.Form):
    """Step 5: where the family lives."""

    residence = forms.ChoiceField(
        label=_("Where does the child live?"), choices=Residence.choices, widget=forms.RadioSelect
    )


class FamilyForm(AccessibleFormMixin, forms.Form):
    """Step 6: special situations are detected automatically; the family may ask for 长幼随学."""

    sibling_reference_no = forms.ChoiceField(
        label=_("An older brother or sister's application (长幼随学)"),
        required=False,
        help_text=_("Choose it if this child should follow the older sibling to the same school."),
    )

    def __init__(self, *args, siblings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sibling_reference_no"].choices = [
            ("", _("No, this child does not follow a sibling"))
        ] + [
            (
                a.case.reference_no,
                f"{a.case.reference_no} · {a.child_name} · {a.year} {a.get_stage_display()}",
            )
            for a in siblings
        ]


# --- the counter ----------------------------------------------------------------------------------------


class CounterForm(AccessibleFormMixin, forms.Form):
    """One screen for the clerk, in the order the family hands over the documents. Keyboard first: the
    first field has focus, Enter submits, Alt+letter jumps to a field (the access keys are shown)."""

    guardian_id_number = _id_field(_("Guardian's ID number (from the ID card)"))
    child_id_number = _id_field(_("Child's ID number"))
    single_parent = forms.BooleanField(label=_("Single-parent family"), required=False)
    other_guardian_id_number = _id_field(_("Other guardian's ID number"), required=False)
    residence = forms.ChoiceField(label=_("Residence"), choices=Residence.choices, widget=forms.RadioSelect)
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    year = forms.TypedChoiceField(label=_("Entry year"), coerce=int)
    originals = forms.MultipleChoiceField(
        label=_("Originals seen"),
        required=False,
        choices=[(o, o) for o in ORIGINALS],
        widget=forms.CheckboxSelectMultiple,
    )
    consent = forms.BooleanField(
        label=_("The guardian has signed the authorisation to fetch the records"),
        error_messages={
            "required": _("The family must sign the authorisation before the records can be fetched.")
        },
    )

    ACCESS_KEYS = {
        "guardian_id_number": "g",
        "child_id_number": "c",
        "single_parent": "p",
        "other_guardian_id_number": "o",
        "residence": "r",
        "stage": "t",
        "year": "y",
        "consent": "a",
    }

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        self.fields["guardian_id_number"].widget.attrs["autofocus"] = True
        self.fields["stage"].initial = Stage.PRIMARY
        if years:
            self.fields["year"].initial = years[0]
        for name, key in self.ACCESS_KEYS.items():
            self.fields[name].widget.attrs["accesskey"] = key

    def clean_guardian_id_number(self):
        return _clean_id(self.cleaned_data["guardian_id_number"])

    def clean_child_id_number(self):
        return _clean_id(self.cleaned_data["child_id_number"])

    def clean(self):
        cleaned = super().clean()
        value = (cleaned.get("other_guardian_id_number") or "").strip()
        if cleaned.get("single_parent") and value:
            self.add_error(
                "other_guardian_id_number", _("Leave the other guardian empty for a single-parent family.")
            )
        elif not cleaned.get("single_parent") and not value and "other_guardian_id_number" not in self.errors:
            self.add_error(
                "other_guardian_id_number",
                _("Enter the other guardian's ID number, or tick single-parent family."),
            )
        elif value:
            try:
                cleaned["other_guardian_id_number"] = _clean_id(value)
            except ValidationError as exc:
                self.add_error("other_guardian_id_number", exc)
        return cleaned


# --- review ------------------------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("To review (needs review or awaiting supplement)")),
            (State.NEEDS_REVIEW, State.NEEDS_REVIEW.label),
            (State.AWAITING_SUPPLEMENT, State.AWAITING_SUPPLEMENT.label),
            (State.VERIFYING, State.VERIFYING.label),
            (State.QUALIFIED, State.QUALIFIED.label),
            (State.REJECTED, State.REJECTED.label),
        ],
    )
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All stages")), *Stage.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class ApproveForm(AccessibleFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(AccessibleFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Reason for the rejection"),
        max_length=2000,
        help_text=_("The family reads this; say which rule is not met and what they can do."),
        error_messages={"required": _("Give the reason for the rejection; the family will read it.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SupplementRequestForm(AccessibleFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Which material should the family supply?"),
        max_length=250,
        help_text=_("容缺受理: the case clock pauses until the family uploads it."),
        error_messages={"required": _("Say which material the family should supply.")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    due_working_days = forms.IntegerField(
        label=_("Due within (working days)"),
        min_value=1,
        max_value=30,
        initial=5,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "short-input"}),
    )


# --- the family's own actions --------------------------------------------------------------------------


class WithdrawForm(AccessibleFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Why are you withdrawing? (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
