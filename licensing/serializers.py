"""Shapes of contracts/api-services.md (``licensing/applications``)."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from licensing.materials import application_materials
from licensing.models import ApplicationState, Kind, Level
from portal.cases.selectors import case_summary
from portal.deliveries.selectors import delivery_for_case
from portal.documents.selectors import documents_for_case


@extend_schema_serializer(component_name="LicensingApplicationCreate")
class ApplicationCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    credit_code = serializers.CharField(max_length=32)
    school_name = serializers.CharField(max_length=200)
    level = serializers.ChoiceField(choices=Level.choices)
    address = serializers.CharField(max_length=300)
    capacity = serializers.IntegerField(min_value=1, max_value=100000)


@extend_schema_serializer(component_name="LicensingAction")
class ActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    missing = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list, max_length=50
    )


@extend_schema_serializer(component_name="LicensingUpload")
class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.CharField(max_length=100)


@extend_schema_serializer(component_name="LicensingEvent")
class EventSerializer(serializers.Serializer):
    def get_fields(self):
        return {
            "at": serializers.DateTimeField(),
            "action": serializers.CharField(),
            "from": serializers.CharField(source="from_state"),
            "to": serializers.CharField(source="to_state"),
            "note": serializers.CharField(),
        }


@extend_schema_serializer(component_name="LicensingReview")
class ReviewSerializer(serializers.Serializer):
    department = serializers.CharField(source="department.code")
    department_name = serializers.CharField(source="department.name")
    status = serializers.CharField(source="state")
    due_on = serializers.DateField()
    overdue = serializers.SerializerMethodField()
    note = serializers.CharField()

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue()


@extend_schema_serializer(component_name="LicensingMaterial")
class MaterialSerializer(serializers.Serializer):
    name = serializers.CharField()
    key = serializers.BooleanField()
    required = serializers.BooleanField()
    source = serializers.ChoiceField(choices=["fetched", "upload"])
    registry = serializers.CharField()
    fetched = serializers.BooleanField()
    uploaded = serializers.BooleanField()
    missing = serializers.BooleanField(help_text="named in the 容缺 list, to be supplemented")
    reason = serializers.CharField()


@extend_schema_serializer(component_name="LicensingApplication")
class ApplicationSerializer(serializers.Serializer):
    reference_no = serializers.CharField(source="case.reference_no")
    service = serializers.CharField(source="case.service.code")
    status = serializers.ChoiceField(source="state", choices=ApplicationState.choices)
    checks = serializers.ListField(child=serializers.DictField())
    deadline = serializers.SerializerMethodField()
    next_step = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    delivery = serializers.SerializerMethodField()
    kind = serializers.CharField()
    credit_code = serializers.CharField()
    school_name = serializers.CharField()
    level = serializers.CharField()
    address = serializers.CharField()
    capacity = serializers.IntegerField()
    reviews = ReviewSerializer(many=True)
    materials = serializers.SerializerMethodField()
    missing_materials = serializers.ListField(child=serializers.CharField())
    supplement_due = serializers.DateField(allow_null=True)
    supplement_overdue = serializers.SerializerMethodField()
    licence_no = serializers.CharField(allow_null=True)

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
        return documents_for_case(obj.case)

    def get_delivery(self, obj) -> dict | None:
        return delivery_for_case(obj.case)

    @extend_schema_field(MaterialSerializer(many=True))
    def get_materials(self, obj):
        return MaterialSerializer(application_materials(obj), many=True).data

    def get_supplement_overdue(self, obj) -> bool:
        return obj.supplement_overdue()
