"""Reads of student aid: what a user may see, a case's representation, the figures per scheme."""

import io

from django.db.models import Count, Q, Sum
from django.http import Http404

from aid.catalogue import ITEM
from aid.models import (
    GRANTED_STATES,
    AidApplication,
    AidState,
    BatchLine,
    DisbursementBatch,
    LineStatus,
    Scheme,
)
from payments.money import format_yuan
from portal.accounts.models import Role
from portal.cases.scoping import scope_cases
from portal.cases.selectors import case_summary
from portal.cases.workflow import allowed_actions
from portal.invitations.models import Invitation


def schemes_public():
    return Scheme.objects.prefetch_related("levels").order_by("-year", "code")


def applications_for_user(user):
    """The guardian's applications; staff: those in their scope (school, district)."""
    qs = AidApplication.objects.select_related(
        "case", "case__service", "scheme", "school", "level", "proposed_level", "guardian"
    )
    return scope_cases(user, qs, case_path="case")


def application_for_user(user, reference_no: str) -> AidApplication:
    application = applications_for_user(user).filter(case__reference_no=reference_no).first()
    if application is None:
        raise Http404(reference_no)
    return application


def application_on_notice(reference_no: str) -> AidApplication:
    """An application anyone signed in may object to: on public notice now (else 404)."""
    application = (
        AidApplication.objects.select_related("case", "scheme", "school", "level")
        .filter(case__reference_no=reference_no, state=AidState.IN_PUBLIC_NOTICE)
        .first()
    )
    if application is None:
        raise Http404(reference_no)
    return application


def school_queue(user):
    return (
        applications_for_user(user)
        .filter(state=AidState.AWAITING_SCHOOL)
        .order_by("scheme", "created_at", "pk")
    )


def bureau_queue(user):
    return (
        applications_for_user(user)
        .filter(state=AidState.AWAITING_BUREAU)
        .order_by("scheme", "created_at", "pk")
    )


def schemes_for_staff(user):
    qs = Scheme.objects.select_related("district")
    if user.is_superuser:
        return qs
    if user.role in (Role.BUREAU, Role.AUDITOR) and user.district_id:
        return qs.filter(district=user.district_id)
    return qs.none()


def batches_for_staff(user):
    return DisbursementBatch.objects.filter(scheme__in=schemes_for_staff(user)).select_related("scheme")


def granted_fen(scheme: Scheme) -> int:
    return (
        AidApplication.objects.filter(scheme=scheme, state__in=GRANTED_STATES).aggregate(t=Sum("amount_fen"))[
            "t"
        ]
        or 0
    )


def budget_outlook(application: AidApplication) -> dict:
    """What approving would do to the budget: granted so far, after, budget, and how far over (≥ 0)."""
    granted = granted_fen(application.scheme)
    after = granted + (application.amount_fen if application.state not in GRANTED_STATES else 0)
    budget = application.scheme.budget_fen
    return {
        "granted": format_yuan(granted),
        "after": format_yuan(after),
        "budget": format_yuan(budget),
        "over_fen": max(after - budget, 0),
        "over": format_yuan(max(after - budget, 0)),
    }


# what people press (the API's actions and the page's buttons); the other transitions are the portal's
USER_ACTIONS = ("approve", "reject", "withdraw")


def checks_of(application: AidApplication) -> list[dict]:
    return [{"name": c.name, "result": c.result, "reason": c.reason} for c in application.checks.all()]


def representation(application: AidApplication, user) -> dict:
    """The contract's case shape plus aid's own fields; ID and account numbers masked."""
    case = application.case
    summary = case_summary(case, user=user)
    actions = [a for a in allowed_actions(application, user) if a in USER_ACTIONS]
    if application.state == AidState.IN_PUBLIC_NOTICE and user is not None and user.is_authenticated:
        actions.append("object")
    return {
        "reference_no": case.reference_no,
        "service": case.service.code,
        "status": application.state,
        "status_label": str(application.get_state_display()),
        "checks": checks_of(application),
        "deadline": summary.deadline.isoformat() if summary.deadline and not summary.closed else None,
        "next_step": summary.next_step,
        "events": [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "note": e.note,
            }
            for e in case.events.order_by("seq")
        ],
        "documents": [],
        "actions": actions,
        "scheme_code": application.scheme.code,
        "scheme_name": application.scheme.name,
        "year": application.scheme.year,
        "student_name": application.student_name,
        "student_id_number": application.masked_student_id,
        "school": application.school.code,
        "school_name": application.school.name,
        "grade": application.grade,
        "reason": application.reason,
        "declared": application.declared_list,
        "proposed_level": application.proposed_level.level if application.proposed_level_id else None,
        "level": application.level.level if application.level_id else None,
        "level_name": application.level.name if application.level_id else None,
        "level_note": application.level_note,
        "amount": format_yuan(application.amount_fen, symbol=False) if application.level_id else None,
        "account_name": application.account_name,
        "bank_account": application.masked_account,
        "invited": application.invitation_id is not None,
        "objection_upheld": application.objection_upheld,
    }


def public_representation(application: AidApplication) -> dict:
    """For someone who may only object (not the family, not staff in scope): what the notice shows."""
    return {
        "reference_no": application.case.reference_no,
        "service": ITEM,
        "status": application.state,
        "scheme_code": application.scheme.code,
        "school_name": application.school.name,
        "grade": application.grade,
        "level_name": application.level.name if application.level_id else None,
        "actions": ["object"],
    }


def invitations_for_user(user):
    mine = Q(person=user)
    if user.id_number_hash:
        mine |= Q(person__isnull=True, person_id_hash=user.id_number_hash)
    return (
        Invitation.objects.filter(mine, service__code=ITEM)
        .select_related("service", "case")
        .order_by("-created_at")
    )


# --- figures -------------------------------------------------------------------------------------------


def scheme_figures(schemes) -> list[dict]:
    """Per scheme: applied, invited, accepted, approved, paid, amount granted and paid, against budget."""
    schemes = list(schemes)
    by_scheme = {
        row["scheme"]: row
        for row in AidApplication.objects.filter(scheme__in=schemes)
        .values("scheme")
        .annotate(
            applied=Count("pk"),
            accepted=Count("pk", filter=Q(invitation__isnull=False)),
            approved=Count("pk", filter=Q(state__in=GRANTED_STATES)),
            paid=Count("pk", filter=Q(state=AidState.PAID)),
            granted_fen=Sum("amount_fen", filter=Q(state__in=GRANTED_STATES)),
        )
    }
    paid_fen = dict(
        BatchLine.objects.filter(batch__scheme__in=schemes, status=LineStatus.PAID)
        .values_list("batch__scheme")
        .annotate(t=Sum("amount_fen"))
    )
    invited: dict[str, int] = {}
    years = {s.year for s in schemes}
    for invitation in Invitation.objects.filter(service__code=ITEM, year__in=years).only("prefill"):
        code = (invitation.prefill or {}).get("scheme_code")
        invited[code] = invited.get(code, 0) + 1
    out = []
    for scheme in schemes:
        row = by_scheme.get(scheme.pk, {})
        granted = row.get("granted_fen") or 0
        paid = paid_fen.get(scheme.pk, 0)
        budget = scheme.budget_fen
        out.append(
            {
                "scheme": scheme,
                "code": scheme.code,
                "name": scheme.name,
                "year": scheme.year,
                "applied": row.get("applied", 0),
                "invited": invited.get(scheme.code, 0),
                "accepted": row.get("accepted", 0),
                "approved": row.get("approved", 0),
                "paid": row.get("paid", 0),
                "granted_fen": granted,
                "paid_fen": paid,
                "budget_fen": budget,
                "granted_pct": round(100 * granted / budget) if budget else 0,
                "paid_pct": round(100 * paid / budget) if budget else 0,
            }
        )
    return out


FIGURE_HEADER = [
    "代码",
    "名称",
    "年度",
    "申请",
    "邀请",
    "接受邀请",
    "批准",
    "已发放",
    "批准金额（元）",
    "已发放金额（元）",
    "预算（元）",
    "预算使用率",
]


def figures_xlsx(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "资助统计"
    sheet.append(FIGURE_HEADER)
    for r in rows:
        sheet.append(
            [
                r["code"],
                r["name"],
                r["year"],
                r["applied"],
                r["invited"],
                r["accepted"],
                r["approved"],
                r["paid"],
                r["granted_fen"] / 100,
                r["paid_fen"] / 100,
                r["budget_fen"] / 100,
                f"{r['granted_pct']}%",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
