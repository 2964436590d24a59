"""Admission's notices and objections move to the kernel's public notices (portal.notices, ADR 0015).

For every (round, school) with placements on notice, or with an objection, one kernel ``Notice`` is
written (source ``admission-round:<id>``) with an entry per live placement (numbered by seat, name masked,
no ID number). Every admission ``Objection`` becomes a kernel ``Objection`` with the same id (so the old
/admission/objections/<id>/ links redirect to the right page), the same review case, text, state and
decision; who decided is read from the case's decision event. Not reversible (the next migration drops
the old table): migrate back from a backup.
"""

from collections import defaultdict

from django.core.management.color import no_style
from django.db import migrations

from portal.core.pii import mask_name

HOW = {"zone": "施教区学校", "redistributed": "调剂", "manual": "教育局安排"}


def forwards(apps, schema_editor):
    Placement = apps.get_model("admission", "Placement")
    OldObjection = apps.get_model("admission", "Objection")
    Notice = apps.get_model("notices", "Notice")
    NoticeEntry = apps.get_model("notices", "NoticeEntry")
    Objection = apps.get_model("notices", "Objection")
    CaseEvent = apps.get_model("cases", "CaseEvent")

    groups = defaultdict(list)
    for p in (
        Placement.objects.filter(state__in=["on_notice", "final"])
        .select_related("round", "school", "application", "application__case")
        .order_by("round_id", "school_id", "seat_no")
    ):
        groups[(p.round_id, p.school_id)].append(p)
    wanted = {key for key, ps in groups.items() if any(p.state == "on_notice" for p in ps)}
    objections = list(OldObjection.objects.select_related("case", "round", "school", "placement").order_by("pk"))
    wanted |= {(o.round_id, o.school_id) for o in objections}

    notices, entries = {}, {}
    for round_id, school_id in sorted(wanted):
        placements = groups.get((round_id, school_id), [])
        objected = [o for o in objections if (o.round_id, o.school_id) == (round_id, school_id)]
        round_ = placements[0].round if placements else objected[0].round
        school = placements[0].school if placements else objected[0].school
        starts = [p.notice_from for p in placements] or [o.case.accepted_on for o in objected]
        ends = [p.notice_until for p in placements] or starts
        service_id = placements[0].application.case.service_id if placements else None
        if service_id is None:
            extra = [o.placement for o in objected if o.placement_id]
            if not extra:
                continue  # an objection to a notice with no placement left: nothing to attach it to
            service_id = extra[0].application.case.service_id
        notice = Notice.objects.create(
            service_id=service_id,
            title=f"{round_.year}年招生录取名单公示：{school.name}",
            district_id=round_.district_id,
            school_id=school.pk,
            source=f"admission-round:{round_.pk}",
            period_working_days=max(int(round_.notice_working_days or 1), 1),
            starts_on=min(starts),
            ends_on=max(max(ends), min(starts)),
            status="published",
        )
        notices[(round_id, school_id)] = notice
        used_positions, used_cases = set(), set()
        extra = [o.placement for o in objected if o.placement_id and o.placement.state == "revoked"]
        for p in list(placements) + extra:
            case_id = p.application.case_id
            if case_id in used_cases:
                continue
            position = p.seat_no
            while position in used_positions:
                position += 1000
            used_positions.add(position)
            used_cases.add(case_id)
            entries[p.pk] = NoticeEntry.objects.create(
                notice=notice,
                case_id=case_id,
                position=position,
                name=mask_name(p.application.child_name),
                school_name=school.name,
                public={"entry_no": p.seat_no, "how": HOW.get(p.how, ""), "tier": p.application.category},
            )

    for o in objections:
        notice = notices.get((o.round_id, o.school_id))
        if notice is None:
            continue
        decided = (
            CaseEvent.objects.filter(
                case_id=o.case_id, action__in=["admission.objection_upheld", "admission.objection_dismissed"]
            )
            .order_by("-seq")
            .first()
        )
        Objection.objects.create(
            pk=o.pk,
            notice=notice,
            entry=entries.get(o.placement_id),
            by_id=o.case.applicant_id,
            case_id=o.case_id,
            text=o.reason,
            state=o.state,
            answer=o.decision_note,
            answered_by_id=decided.actor_id if decided else None,
            answered_at=o.decided_at,
        )
        Objection.objects.filter(pk=o.pk).update(created_at=o.case.submitted_at)

    if objections:  # explicit ids: move the sequence past them (PostgreSQL)
        with schema_editor.connection.cursor() as cursor:
            for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [Objection]):
                cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("admission", "0003_delete_studentrecord"),
        ("notices", "0001_initial"),
        ("cases", "0004_alter_clockpause_options_and_more"),
        ("enrollment", "0002_alter_draft_options"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
