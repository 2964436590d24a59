from django import forms
from django.utils.translation import gettext_lazy as _

from aid.models import Qualification, Term


class ApplyForm(forms.Form):
    scheme_code = forms.ChoiceField(label=_("Scheme"), choices=())
    student_id_number = forms.CharField(label=_("Student's ID number"), max_length=18)
    declared = forms.MultipleChoiceField(
        label=_("Situations the registries cannot show"),
        required=False,
        choices=[
            (Qualification.ORPHAN, Qualification.ORPHAN.label),
            (Qualification.OTHER, Qualification.OTHER.label),
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=_("Hardship statement (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    account_name = forms.CharField(label=_("Account holder"), required=False, max_length=100)
    bank_account = forms.CharField(label=_("Bank account number"), required=False, max_length=40)

    def __init__(self, *args, schemes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme_code"].choices = [(s.code, f"{s.name}（{s.year}）") for s in schemes]


class CounterForm(ApplyForm):
    guardian_id_number = forms.CharField(label=_("Guardian's ID number (ID card checked)"), max_length=18)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class LevelForm(NoteForm):
    level = forms.ChoiceField(label=_("Level"), required=False, choices=())

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [("", "—")] + [
            (lv.level, f"{lv.name} ¥{lv.amount_fen / 100:.2f}") for lv in levels
        ]


class AccountForm(forms.Form):
    account_name = forms.CharField(label=_("Account holder"), max_length=100)
    bank_account = forms.CharField(label=_("Bank account number"), max_length=40)


class ObjectionForm(forms.Form):
    note = forms.CharField(
        label=_("Your objection"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


class BatchForm(forms.Form):
    scheme = forms.ChoiceField(label=_("Scheme"), choices=())
    term = forms.ChoiceField(label=_("Term"), choices=Term.choices)

    def __init__(self, *args, schemes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].choices = [(s.pk, f"{s.code} {s.name}") for s in schemes]


class ReturnFileForm(forms.Form):
    file = forms.FileField(label=_("The bank's return file (xlsx)"))
