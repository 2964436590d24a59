"""Register the place and admission notices issued before the document registry (portal.documents), so
that each earlier QR link (``/enrollment/verify/<token>/``) maps to a document through ``legacy_token``:

- qualified with a zone school → a valid place notice;
- admitted with a school → a valid admission notice, and a superseded place notice if it had one;
- withdrawn or rejected after a place notice was issued (a qualified/approved event) → a revoked one.

The token is computed as ``enrollment.notice.make_notice_token`` computed it (same salt, same payload),
so it depends on the SECRET_KEY in force, as the printed links did. Documents get a new code each; no case
event is written for them (they were issued before the registry kept them)."""

import secrets

from django.core import signing
from django.db import migrations
from django.utils import timezone

from portal.core.pii import mask_name

SALT = "enrollment.notice.verify.v1"
TITLES = {"place": "公办地段学位告知书", "admission": "录取通知书"}
KINDS = {"place": "place_notice", "admission": "admission_notice"}
STAGES = {"kindergarten": "幼儿园", "primary": "小学", "junior": "初中"}  # Stage labels in Chinese
ISSUING = {"place": ("enrollment.qualified", "enrollment.approved"), "admission": ("enrollment.admitted",)}


def _token(kind, reference_no, school_code):
    return signing.Signer(salt=SALT).sign_object({"k": kind, "r": reference_no, "s": school_code})


def register(apps, schema_editor):
    Application = apps.get_model("enrollment", "Application")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    IssuedDocument = apps.get_model("documents", "IssuedDocument")
    rows = Application.objects.select_related("case", "zone_school", "school").filter(
        state__in=["qualified", "admitted", "withdrawn", "rejected"]
    )
    for app in rows.iterator():
        case = app.case
        subject = f"enrollment.application:{app.pk}"
        if IssuedDocument.objects.filter(subject_key=subject).exists():
            continue

        def issued_on(kind, case=case):
            event = CaseEvent.objects.filter(case=case, action__in=ISSUING[kind]).order_by("-seq").first()
            return timezone.localdate(event.at) if event else None

        def make(kind, school, status, issued, app=app, case=case, subject=subject):
            return IssuedDocument.objects.create(
                code=secrets.token_urlsafe(24),
                kind=KINDS[kind],
                title=TITLES[kind],
                case=case,
                subject_key=subject,
                holder_masked=mask_name(app.child_name),
                issued_on=issued,
                facts={
                    "reference_no": case.reference_no,
                    "entry": f"{app.year} {STAGES.get(app.stage, app.stage)}",
                    ("admitted_to" if kind == "admission" else "zone_school"): school.name,
                },
                fingerprint=school.code,
                download_path=f"/api/v1/enrollment/applications/{case.reference_no}/notice.pdf",
                status=status,
                revoked_at=timezone.now() if status == "revoked" else None,
                revoked_reason="撤回或不予受理（登记前）" if status == "revoked" else "",
                legacy_token=_token(kind, case.reference_no, school.code),
            )

        place_on = issued_on("place")
        if app.state == "qualified" and app.zone_school_id:
            make("place", app.zone_school, "valid", place_on or timezone.localdate())
        elif app.state == "admitted" and app.school_id:
            admission = make("admission", app.school, "valid", issued_on("admission") or timezone.localdate())
            if app.zone_school_id and place_on:
                place = make("place", app.zone_school, "superseded", place_on)
                IssuedDocument.objects.filter(pk=place.pk).update(superseded_by=admission)
        elif app.state in ("withdrawn", "rejected") and app.zone_school_id and place_on:
            make("place", app.zone_school, "revoked", place_on)


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0001_initial"), ("documents", "0001_initial")]
    operations = [migrations.RunPython(register, migrations.RunPython.noop)]
