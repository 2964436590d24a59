"""/api/v1/admission/: rounds and allocation runs for bureau staff (start a run, poll it), and the public
notice of a school (masked) for everyone. Views translate HTTP to service calls only."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from admission import selectors, services
from admission.models import AdmissionRound, AllocationRun
from portal.cases.workflow import ActionNotAllowed
from portal.core.api import Conflict
from portal.orgs.models import School, Stage


@extend_schema_serializer(component_name="AdmissionRound")
class RoundSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district.code", read_only=True)

    class Meta:
        model = AdmissionRound
        fields = ["id", "district", "year", "stage", "notice_working_days", "seed", "seed_published_at"]
        read_only_fields = fields


class RoundOpenSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    stage = serializers.ChoiceField(choices=Stage.choices)


class RunStartSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False)
    seed = serializers.CharField(max_length=64, required=False, allow_blank=False)


@extend_schema_serializer(component_name="AdmissionRun")
class RunSerializer(serializers.ModelSerializer):
    counts = serializers.SerializerMethodField()

    class Meta:
        model = AllocationRun
        fields = [
            "id",
            "dry_run",
            "status",
            "phase",
            "progress",
            "seed",
            "applicants",
            "counts",
            "inputs_sha256",
            "result_sha256",
            "error",
        ]
        read_only_fields = fields

    def get_counts(self, obj) -> dict[str, int]:
        return (obj.summary or {}).get("counts") or {}


class NoticeEntrySerializer(serializers.Serializer):
    entry_no = serializers.IntegerField()
    masked_name = serializers.CharField()
    masked_id = serializers.CharField()
    tier = serializers.CharField()
    how = serializers.CharField()
    state = serializers.CharField()


class NoticeSerializer(serializers.Serializer):
    school = serializers.CharField()
    year = serializers.IntegerField()
    seed = serializers.CharField(allow_blank=True)
    objections_until = serializers.DateField(allow_null=True)
    result_sha256 = serializers.ListField(child=serializers.CharField())
    entries = NoticeEntrySerializer(many=True)


def _bureau_round(user, pk) -> AdmissionRound:
    round_ = selectors.rounds_for(user).filter(pk=pk).first()
    if round_ is None or not services.is_district_bureau(user, round_.district_id):
        raise NotFound()
    return round_


class RoundListView(APIView):
    @extend_schema(responses=RoundSerializer(many=True), summary="Admission rounds of your district")
    def get(self, request):
        return Response(RoundSerializer(selectors.rounds_for(request.user), many=True).data)

    @extend_schema(
        request=RoundOpenSerializer,
        responses={200: RoundSerializer, 403: OpenApiResponse(description="Not bureau staff.")},
        summary="Open (or fetch) the round of a year and stage",
    )
    def post(self, request):
        if not request.user.district_id or not services.is_district_bureau(
            request.user, request.user.district_id
        ):
            raise PermissionDenied()
        data = RoundOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        round_ = services.round_for(district=request.user.district, **data.validated_data)
        return Response(RoundSerializer(round_).data)


class RunStartView(APIView):
    @extend_schema(
        request=RunStartSerializer,
        responses={202: RunSerializer, 409: OpenApiResponse(description="Seed differs or a run is going.")},
        summary="Start an allocation or a dry run (a background task; poll the run)",
    )
    def post(self, request, pk: int):
        round_ = _bureau_round(request.user, pk)
        data = RunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            run = services.allocation_start(
                round_=round_,
                by=request.user,
                dry_run=data.validated_data["dry_run"],
                seed=data.validated_data.get("seed"),
            )
        except ActionNotAllowed as exc:
            raise Conflict(" ".join(exc.messages)) from None
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunDetailView(APIView):
    @extend_schema(responses=RunSerializer, summary="An allocation run: status, progress, counts, digests")
    def get(self, request, pk: int):
        run = AllocationRun.objects.select_related("round").filter(pk=pk).first()
        if run is None or not services.is_district_bureau(request.user, run.round.district_id):
            raise NotFound()
        return Response(RunSerializer(run).data)


class NoticeView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=NoticeSerializer, summary="The public notice (公示) of a school, masked")
    def get(self, request, code: str, year: int):
        school = get_object_or_404(School, code=code)
        entries, meta = selectors.school_notice(school=school, year=year)
        if not entries:
            raise NotFound()
        round_ = meta["round"]
        return Response(
            NoticeSerializer(
                {
                    "school": school.code,
                    "year": year,
                    "seed": round_.seed if round_ else "",
                    "objections_until": meta["objections_until"],
                    "result_sha256": [r.result_sha256 for r in meta["runs"]],
                    "entries": [e.__dict__ for e in entries],
                }
            ).data
        )
