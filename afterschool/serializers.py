"""Shapes of contracts/api-services.md for ``afterschool/programs`` and ``afterschool/applications``.

Input serializers check types only; the rules live in the services, whose field messages and refusals
reach the client through portal.core.api.exception_handler (400 / 403 / 409)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from afterschool import selectors
from afterschool.models import ProgramStatus, State
from portal.cases.selectors import case_summary


@extend_schema_serializer(component_name="AfterschoolSlot")
class SlotSerializer(serializers.Serializer):
    slot = serializers.CharField(source="leave_at", help_text=_("Leave time, e.g. 17:30."))
    capacity = serializers.IntegerField()
    taken = serializers.IntegerField()
    free = serializers.IntegerField()
    waitlisted = serializers.IntegerField()


@extend_schema_serializer(component_name="AfterschoolSchool")
class SchoolSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="AfterschoolProgram")
class ProgramSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    school = SchoolSerializer()
    name = serializers.CharField()
    term = serializers.CharField()
    term_starts = serializers.DateField()
    term_ends = serializers.DateField()
    grades = serializers.ListField(child=serializers.IntegerField(), source="grade_list")
    weekdays = serializers.ListField(child=serializers.IntegerField(), source="weekday_list")
    fee_fen = serializers.IntegerField()
    applications_open = serializers.DateField()
    applications_close = serializers.DateField()
    teachers = serializers.CharField()
    description = serializers.CharField()
    status = serializers.SerializerMethodField()
    slots = serializers.SerializerMethodField()

    def _figures(self, obj):
        cache = self.context.setdefault("_figures", {})
        if obj.pk not in cache:
            cache[obj.pk] = selectors.slot_figures(obj)
        return cache[obj.pk]

    @extend_schema_field(serializers.ChoiceField(choices=ProgramStatus.choices))
    def get_status(self, obj) -> str:
        from portal.cases.services import local_today

        return selectors.program_status(obj, today=local_today(), figures=self._figures(obj))

    @extend_schema_field(SlotSerializer(many=True))
    def get_slots(self, obj):
        return SlotSerializer(self._figures(obj), many=True).data


@extend_schema_serializer(component_name="AfterschoolApplicationCreate")
class ApplicationCreateSerializer(serializers.Serializer):
    program_id = serializers.IntegerField(min_value=1)
    student_id_number = serializers.CharField(max_length=18, min_length=18, trim_whitespace=True)
    slot = serializers.CharField(max_length=5, help_text=_('Leave time, e.g. "17:30".'))


@extend_schema_serializer(component_name="AfterschoolAction")
class ActionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text=_("Required to reject (the family reads it)."),
    )
    slot = serializers.CharField(
        required=False, max_length=5, help_text=_('change_slot: the leave time wanted, e.g. "17:30".')
    )


@extend_schema_serializer(component_name="AfterschoolCheck")
class CheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    result = serializers.CharField()
    reason = serializers.CharField()


@extend_schema_serializer(component_name="AfterschoolEvent")
class EventSerializer(serializers.Serializer):
    def get_fields(self):  # "from" is a Python keyword
        return {
            "at": serializers.DateTimeField(),
            "action": serializers.CharField(),
            "from": serializers.CharField(source="from_state"),
            "to": serializers.CharField(source="to_state"),
            "note": serializers.CharField(),
        }


@extend_schema_serializer(component_name="AfterschoolBill")
class BillSerializer(serializers.Serializer):
    order_no = serializers.CharField()
    status = serializers.CharField(source="state")
    amount_fen = serializers.IntegerField()
    refunded_fen = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    pay_url = serializers.CharField()


@extend_schema_serializer(component_name="AfterschoolApplication")
class ApplicationSerializer(serializers.Serializer):
    """The case as the contract's shared shape, plus the application's own fields."""

    reference_no = serializers.CharField(source="case.reference_no")
    service = serializers.CharField(source="case.service.code")
    status = serializers.ChoiceField(source="state", choices=State.choices)
    checks = serializers.SerializerMethodField()
    deadline = serializers.SerializerMethodField()
    next_step = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    program_id = serializers.IntegerField()
    program = serializers.SerializerMethodField()
    student_name = serializers.CharField()
    grade = serializers.IntegerField()
    slot = serializers.CharField(source="slot.leave_at")
    requested_slot = serializers.SerializerMethodField()
    waitlist_position = serializers.SerializerMethodField()
    fee_fen = serializers.IntegerField(source="program.fee_fen")
    bill = serializers.SerializerMethodField()
    refund_if_withdrawn_fen = serializers.SerializerMethodField()
    refund_fen = serializers.IntegerField()
    reason = serializers.CharField(source="decided_note")
    actions = serializers.SerializerMethodField()

    @extend_schema_field(CheckSerializer(many=True))
    def get_checks(self, obj):
        """The checks made when the family applied (all passed, or the application would not exist)."""
        return [
            {"name": "guardianship", "result": "pass", "reason": ""},
            {"name": "student_record", "result": "pass", "reason": ""},
        ]

    def _summary(self, obj):
        return case_summary(obj.case, user=self.context.get("user"))

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_deadline(self, obj):
        deadline = self._summary(obj).deadline
        return deadline.isoformat() if deadline else None

    def get_next_step(self, obj) -> str:
        return self._summary(obj).next_step

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, obj):
        return EventSerializer(obj.case.events.order_by("seq"), many=True).data

    def get_documents(self, obj) -> list:
        return []

    def get_program(self, obj) -> dict:
        program = obj.program
        return {
            "id": program.pk,
            "name": program.name,
            "term": program.term,
            "school": {"code": program.school.code, "name": program.school.name},
        }

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_requested_slot(self, obj):
        return obj.requested_slot.leave_at if obj.requested_slot_id else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_waitlist_position(self, obj):
        return selectors.waitlist_position(obj)

    @extend_schema_field(BillSerializer(allow_null=True))
    def get_bill(self, obj):
        return BillSerializer(obj.order).data if obj.order_id else None

    def get_refund_if_withdrawn_fen(self, obj) -> int:
        from portal.cases.services import local_today

        return selectors.refund_quote(obj, on=local_today())

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, obj):
        from portal.cases.workflow import allowed_actions

        user = self.context.get("user")
        public = ("approve", "reject", "change_slot", "withdraw")
        return [a for a in allowed_actions(obj, user) if a in public] if user is not None else []
