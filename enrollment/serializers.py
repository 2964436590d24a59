"""Shapes of contracts/api-enrollment.md (Applications). Input serializers check types and choices only;
the domain rules (ID check digit, consent, open year, guardianship) live in the services, whose field
messages reach the client through portal.core.api.exception_handler."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from enrollment.models import Application, Residence, State
from exchange.checks import CheckResult
from portal.cases.selectors import case_summary
from portal.core.api import DetailSerializer  # noqa: F401 - the API modules import it from here
from portal.documents.selectors import documents_for_case
from portal.documents.serializers import CaseDocumentSerializer
from portal.orgs.models import Stage


@extend_schema_serializer(component_name="EnrollmentApplicationSubmit")
class ApplicationSubmitSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    stage = serializers.ChoiceField(choices=Stage.choices)
    child_id_number = serializers.CharField(max_length=18, min_length=18, trim_whitespace=True)
    other_guardian_id_number = serializers.CharField(
        max_length=18, required=False, allow_null=True, allow_blank=True, default=None
    )
    single_parent = serializers.BooleanField(required=False, default=False)
    residence = serializers.ChoiceField(choices=Residence.choices)
    sibling_reference_no = serializers.CharField(
        max_length=40, required=False, allow_null=True, allow_blank=True, default=None
    )
    consent = serializers.BooleanField(
        help_text=_("The guardian authorises the portal to fetch the family's records; must be true.")
    )


@extend_schema_serializer(component_name="EnrollmentAction")
class ActionSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text=_("Required to reject (the family reads it) and to request a supplement (what to supply)."),
    )


@extend_schema_serializer(component_name="EnrollmentCheck")
class CheckSerializer(serializers.Serializer):
    name = serializers.CharField()
    result = serializers.ChoiceField(choices=CheckResult.choices)
    reason = serializers.CharField()


@extend_schema_serializer(component_name="EnrollmentSchool")
class SchoolSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="EnrollmentEvent")
class EventSerializer(serializers.Serializer):
    """One entry of the application's processing trace."""

    def get_fields(self):  # "from" is a Python keyword, so the fields cannot be class attributes
        return {
            "at": serializers.DateTimeField(),
            "action": serializers.CharField(help_text=_("Typed action name, e.g. enrollment.approved.")),
            "from": serializers.CharField(source="from_state"),
            "to": serializers.CharField(source="to_state"),
            "note": serializers.CharField(),
        }


@extend_schema_serializer(component_name="EnrollmentApplication")
class ApplicationSerializer(serializers.ModelSerializer):
    """The application as the contract defines it. ``school`` is the school the child was admitted to
    once allocation has run, before that the zone school the checks found (null when none yet)."""

    reference_no = serializers.CharField(source="case.reference_no")
    status = serializers.ChoiceField(source="state", choices=State.choices)
    points = serializers.DecimalField(
        max_digits=7, decimal_places=2, coerce_to_string=False, allow_null=True, read_only=True
    )
    sibling_reference_no = serializers.SerializerMethodField()
    checks = CheckSerializer(many=True)
    school = serializers.SerializerMethodField()
    deadline = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "reference_no",
            "year",
            "stage",
            "status",
            "category",
            "points",
            "sibling_reference_no",
            "checks",
            "school",
            "deadline",
            "events",
            "documents",
        ]
        read_only_fields = fields

    def get_sibling_reference_no(self, obj) -> str | None:
        return obj.sibling.case.reference_no if obj.sibling_id else None

    @staticmethod
    def _school(obj):
        return obj.school if obj.school_id else obj.zone_school if obj.zone_school_id else None

    @extend_schema_field(SchoolSerializer(allow_null=True))
    def get_school(self, obj):
        school = self._school(obj)
        return None if school is None else SchoolSerializer(school).data

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_deadline(self, obj):
        """The promised decision date while one runs; null once the case is closed (rejected, withdrawn,
        done) or decided (qualified): :func:`portal.cases.selectors.case_summary`, as every page."""
        deadline = case_summary(obj.case).deadline
        return deadline.isoformat() if deadline else None

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, obj):
        return EventSerializer(obj.case.events.all(), many=True).data

    @extend_schema_field(CaseDocumentSerializer(many=True))
    def get_documents(self, obj):
        """The notices issued on the case, each with the address its QR code carries."""
        return documents_for_case(obj.case)


@extend_schema_serializer(component_name="EnrollmentDuplicate")
class DuplicateSerializer(serializers.Serializer):
    reference_no = serializers.CharField(help_text=_("The child's live application for that year and stage."))
