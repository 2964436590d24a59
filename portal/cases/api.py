"""/api/v1/cases/: the signed-in person's cases of every service; for staff, their queue across services.

The same selectors and :func:`portal.cases.selectors.case_summary` as the "我的办件" page and the queue
page, so the API and the pages cannot disagree on a status, a deadline or a next step."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import generics, serializers

from portal.cases.models import CaseStatus
from portal.cases.selectors import case_summary, my_cases, staff_queue
from portal.catalog.models import ServiceItem


@extend_schema_serializer(component_name="CaseService")
class ServiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_serializer(component_name="CaseSummaryStatus")
class StatusSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=CaseStatus.choices, help_text=_("The coarse status of every case.")
    )
    label = serializers.CharField()
    service_code = serializers.CharField(
        help_text=_("The service's own status, e.g. qualified; may be empty.")
    )
    service_label = serializers.CharField()


@extend_schema_serializer(component_name="CaseSummary")
class CaseSummarySerializer(serializers.Serializer):
    """One case as every page shows it."""

    reference_no = serializers.CharField()
    service = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    deadline = serializers.DateField(
        allow_null=True, help_text=_("The promised date while one runs; null when closed or decided.")
    )
    paused_since = serializers.DateField(
        allow_null=True, help_text=_("Set while the clock waits for the applicant.")
    )
    overdue = serializers.BooleanField()
    next_step = serializers.CharField()
    link = serializers.SerializerMethodField()
    accepted_on = serializers.DateField()
    closed = serializers.BooleanField()
    closed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(ServiceSerializer)
    def get_service(self, summary):
        return {"code": summary.service_code, "name": summary.service_name}

    @extend_schema_field(StatusSerializer)
    def get_status(self, summary):
        return {
            "code": summary.status,
            "label": summary.status_label,
            "service_code": summary.service_status,
            "service_label": summary.service_status_label,
        }

    @extend_schema_field(serializers.URLField())
    def get_link(self, summary) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(summary.link) if request else summary.link


class CaseFilterSerializer(serializers.Serializer):
    show = serializers.ChoiceField(choices=["all", "open", "closed"], required=False, default="all")
    service = serializers.CharField(required=False, allow_blank=True, default="", max_length=8)
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False, allow_blank=True, default="")

    def validate_service(self, value: str) -> str:
        value = value.strip().upper()
        if value and not ServiceItem.objects.filter(code=value).exists():
            raise serializers.ValidationError(_("No service item with this code."))
        return value


class CaseListView(generics.ListAPIView):
    serializer_class = CaseSummarySerializer

    def get_queryset(self):
        user = self.request.user
        filters = CaseFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        if user.is_portal_staff or user.is_superuser:
            return staff_queue(user, service=data["service"], status=data["status"])
        qs = my_cases(user, show=data["show"])
        if data["service"]:
            qs = qs.filter(service__code=data["service"])
        if data["status"]:
            qs = qs.filter(status=data["status"])
        return qs

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return [case_summary(case, user=self.request.user) for case in page]

    @extend_schema(
        summary="Your cases of every service (staff: the queue across services in your scope)",
        description=(
            "Citizens: their own cases, newest first (`show` = all | open | closed). Staff: the open cases "
            "in their scope (school, district or department), overdue first, then the soonest deadline; "
            "`status` set to a final status lists those closed cases instead."
        ),
        parameters=[
            OpenApiParameter("show", str, enum=["all", "open", "closed"], description="Citizens only."),
            OpenApiParameter("service", str, description="A catalogue item code, e.g. ENR."),
            OpenApiParameter("status", str, enum=list(CaseStatus.values)),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
