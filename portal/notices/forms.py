from django import forms
from django.utils.translation import gettext_lazy as _

from portal.core.forms import AccessibleFormMixin
from portal.notices.services import TEXT_MAX


class ObjectionForm(AccessibleFormMixin, forms.Form):
    entry = forms.TypedChoiceField(label=_("Entry objected to"), coerce=int, required=False, empty_value=None)
    text = forms.CharField(
        label=_("Facts and reason"), widget=forms.Textarea(attrs={"rows": 6}), max_length=TEXT_MAX
    )

    def __init__(self, *args, notice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].choices = [("", _("The notice as a whole"))] + [
            (e.pk, f"{e.position}. {e.name} {e.school_name}") for e in notice.entries.all()
        ]


class AnswerForm(AccessibleFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Answer"),
        choices=[("uphold", _("Uphold the objection")), ("dismiss", _("Dismiss the objection"))],
    )
    answer = forms.CharField(
        label=_("Reasons (the objector reads them)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=TEXT_MAX,
    )
