"""The one upload form of every service: a file with what it is, checked by ``attachment_add``."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.catalog.models import MaterialSource
from portal.core.forms import AccessibleFormMixin

OTHER_MATERIAL = "其他材料"  # stored as the attachment's kind, like the (Chinese) material names
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class UploadForm(AccessibleFormMixin, forms.Form):
    """A file and, in the family's words, what it is (a supplement asked for, a certificate)."""

    kind = forms.CharField(
        label=gettext_lazy("What is this file?"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("For example 居住证 or 租赁合同."),
    )
    file = forms.FileField(
        label=gettext_lazy("File"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("PDF, JPEG or PNG, at most %(mb)d MB.") % {
            "mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        }


class AttachmentForm(UploadForm):
    """The same, with ``kind`` chosen from the materials the catalogue lists for the case's service."""

    kind = forms.ChoiceField(label=gettext_lazy("Which material is this?"))

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        materials = list(case.service.materials.all())
        to_upload = [(m.name, m.name) for m in materials if m.source != MaterialSource.FETCHED]
        fetched = [(m.name, m.name) for m in materials if m.source == MaterialSource.FETCHED]
        choices = [("", _("Choose…"))]
        if to_upload:
            choices.append((_("Materials to upload"), to_upload))
        if fetched:
            choices.append((_("Records we fetch (upload only if we ask you to)"), fetched))
        choices.append((_("Other"), [(OTHER_MATERIAL, _("Other material"))]))
        self.fields["kind"].choices = choices
