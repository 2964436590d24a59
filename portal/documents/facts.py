"""Labels of the public facts a document carries (``IssuedDocument.facts``), shown on the verification
page. Services give facts under these keys; an unknown key shows as it is."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "reference_no": _("Reference number"),
    "entry": _("Entry"),
    "school": _("School"),
    "zone_school": _("Zone school"),
    "admitted_to": _("Admitted to"),
    "receipt_no": _("Receipt number"),
    "payee": _("Payee"),
    "item": _("Fee item"),
    "bill": _("Bill"),
    "amount": _("Amount"),
    "certificate_no": _("Certificate number"),
    "stage": _("Qualification"),
    "subject": _("Subject"),
    "honour_year": _("Year awarded"),
}


def label_for(key: str) -> str:
    label = LABELS.get(key)
    return str(label) if label is not None else key
