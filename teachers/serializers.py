"""Shapes of contracts/api-services.md (``teachers/certificates``, ``teachers/honours``)."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from exchange.checks import CheckResult
from portal.cases.selectors import case_summary
from portal.deliveries.selectors import delivery_for_case
from teachers import documents
from teachers.models import CertificateState, HonourState, TeacherStage


@extend_schema_serializer(component_name="TeacherCertificateCreate")
class CertificateCreateSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=TeacherStage.choices)
    subject = serializers.CharField(max_length=64)
    exam_pass_no = serializers.CharField(max_length=64)
    mandarin_cert_no = serializers.CharField(max_length=64)
    medical_report_no = serializers.CharField(max_length=64)
    delivery_address = serializers.CharField(max_length=300)


@extend_schema_serializer(component_name="TeacherAction")
class ActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


@extend_schema_serializer(component_name="TeacherHonourAccept")
class HonourAcceptSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    delivery_address = serializers.CharField(max_length=300)


class CheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    result = serializers.ChoiceField(choices=CheckResult.choices)
    reason = serializers.CharField()


class EventSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "at": serializers.DateTimeField(),
            "action": serializers.CharField(),
            "from": serializers.CharField(source="from_state"),
            "to": serializers.CharField(source="to_state"),
            "note": serializers.CharField(),
        }


class _CaseFields(serializers.Serializer):
    reference_no = serializers.CharField(source="case.reference_no")
    service = serializers.CharField(source="case.service.code")
    deadline = serializers.SerializerMethodField()
    next_step = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    delivery = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_deadline(self, obj):
        deadline = case_summary(obj.case).deadline
        return deadline.isoformat() if deadline else None

    def get_next_step(self, obj) -> str:
        return case_summary(obj.case).next_step

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, obj):
        return EventSerializer(obj.case.events.all(), many=True).data

    def get_documents(self, obj) -> list:
        return documents.for_case(obj.case)

    def get_delivery(self, obj) -> dict | None:
        return delivery_for_case(obj.case)


@extend_schema_serializer(component_name="TeacherCertificate")
class CertificateSerializer(_CaseFields):
    status = serializers.ChoiceField(source="state", choices=CertificateState.choices)
    checks = CheckSerializer(many=True)
    stage = serializers.CharField()
    subject = serializers.CharField()
    exam_pass_no = serializers.CharField()
    mandarin_cert_no = serializers.CharField()
    medical_report_no = serializers.CharField()
    delivery_address = serializers.CharField()
    certificate_no = serializers.CharField(allow_null=True)


@extend_schema_serializer(component_name="TeacherHonour")
class HonourSerializer(_CaseFields):
    status = serializers.ChoiceField(source="state", choices=HonourState.choices)
    checks = serializers.SerializerMethodField()
    year = serializers.IntegerField()
    school_code = serializers.CharField()
    service_start = serializers.DateField()
    break_months = serializers.IntegerField()
    delivery_address = serializers.CharField()
    invitation = serializers.IntegerField(source="invitation_id")

    def get_checks(self, obj) -> list:
        return [
            {
                "name": "service_years",
                "result": "pass",
                "reason": f"任职记录：{obj.service_start.isoformat()} 起从教，中断 {obj.break_months} 个月",
            }
        ]


def offered_honour_data(invitation) -> dict:
    """An honour still offered (its invitation open): no case and no reference number yet; it is
    accepted through its ``invitation`` id."""
    return {
        "reference_no": None,
        "service": invitation.service.code,
        "status": HonourState.OFFERED.value,
        "invitation": invitation.pk,
        "year": invitation.year,
        "summary": invitation.summary,
        "expires_on": invitation.expires_on.isoformat(),
        "checks": [],
        "deadline": invitation.expires_on.isoformat(),
        "next_step": "确认并填写邮寄地址后，荣誉证书将邮寄给您。",
        "events": [],
        "documents": [],
        "delivery": None,
    }
