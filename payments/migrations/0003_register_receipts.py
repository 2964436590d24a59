"""Register the e-receipts issued before the document registry (portal.documents), so that each earlier
QR link (``/payments/receipts/<token>/``) maps to a document through ``legacy_token``: a paid or partly
refunded bill → a valid receipt, a fully refunded one (红冲) → a revoked receipt. The token is computed
as ``payments.receipts.make_token`` computed it (same salt and payload, the SECRET_KEY in force)."""

import secrets

from django.core import signing
from django.db import migrations
from django.utils import timezone

from portal.core.pii import mask_name

SALT = "payments.receipt.verify.v1"


def _yuan(fen):
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def register(apps, schema_editor):
    Order = apps.get_model("payments", "Order")
    IssuedDocument = apps.get_model("documents", "IssuedDocument")
    rows = Order.objects.select_related("case", "fee_item", "fee_item__school", "fee_item__district")
    for order in rows.filter(state__in=["paid", "partly_refunded", "refunded"]).exclude(receipt_no=""):
        subject = f"payments.order:{order.order_no}"
        if IssuedDocument.objects.filter(subject_key=subject).exists():
            continue
        item = order.fee_item
        payee = item.school.name if item.school_id else f"{item.district.name}教育局"
        revoked = order.state == "refunded"
        IssuedDocument.objects.create(
            code=secrets.token_urlsafe(24),
            kind="receipt",
            title="教育收费电子票据",
            case=order.case,
            subject_key=subject,
            holder_masked=mask_name(order.subject_name),
            issued_on=timezone.localdate(order.paid_at) if order.paid_at else timezone.localdate(),
            facts={
                "receipt_no": order.receipt_no,
                "payee": payee,
                "item": item.name,
                "bill": order.title,
                "amount": _yuan(order.paid_fen),
            },
            fingerprint=order.receipt_no,
            download_path=f"/api/v1/payments/orders/{order.order_no}/receipt.pdf",
            status="revoked" if revoked else "valid",
            revoked_at=timezone.now() if revoked else None,
            revoked_reason="全额退款红冲（登记前）" if revoked else "",
            legacy_token=signing.Signer(salt=SALT).sign_object({"o": order.order_no, "r": order.receipt_no}),
        )


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_append_only"), ("documents", "0001_initial")]
    operations = [migrations.RunPython(register, migrations.RunPython.noop)]
