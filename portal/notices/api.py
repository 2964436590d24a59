"""/api/v1/notices/: the running public notices (no sign-in) and objections (signed in), exactly as
contracts/api-services.md "Public notices (公示, no sign-in)"."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.notices import selectors, services
from portal.notices.models import Notice, NoticeEntry, NoticeStatus


@extend_schema_serializer(component_name="PublicNoticeEntry")
class EntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Give it as `entry` when objecting")
    name = serializers.CharField(help_text="Masked (王*明)")
    school = serializers.CharField()
    grade = serializers.CharField()


@extend_schema_serializer(component_name="PublicNotice")
class NoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    service = serializers.CharField(help_text="Service item code")
    title = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(help_text="Last day for objections")
    entries = EntrySerializer(many=True)

    def to_representation(self, instance):
        return selectors.notice_json(instance)


class NoticeListView(generics.ListAPIView):
    """Public: the notices in their period, entries masked."""

    serializer_class = NoticeSerializer
    permission_classes = [permissions.AllowAny]
    authentication_classes = []

    def get_queryset(self):
        return selectors.running_notices()

    @extend_schema(summary="Public notices (公示) in their period, masked")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema_serializer(component_name="PublicNoticeObjectionCreate")
class ObjectionCreateSerializer(serializers.Serializer):
    entry = serializers.IntegerField(min_value=1, help_text="The entry's id on the notice")
    text = serializers.CharField(max_length=services.TEXT_MAX, help_text="Facts and reason")


@extend_schema_serializer(component_name="PublicNoticeObjection")
class ObjectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    notice = serializers.IntegerField()
    entry = serializers.IntegerField()
    case = serializers.CharField(help_text="Reference number of the review case")
    state = serializers.ChoiceField(choices=["open", "upheld", "dismissed"])


class ObjectionCreateView(APIView):
    """Signed in: object to an entry of a notice during its period (``409`` outside it)."""

    @extend_schema(
        summary="Object (异议) to an entry of a public notice",
        request=ObjectionCreateSerializer,
        responses={201: ObjectionSerializer},
    )
    def post(self, request, pk: int):
        notice = get_object_or_404(
            Notice.objects.select_related("service"), pk=pk, status=NoticeStatus.PUBLISHED
        )
        body = ObjectionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = NoticeEntry.objects.filter(notice=notice, pk=body.validated_data["entry"]).first()
        if entry is None:
            raise serializers.ValidationError({"entry": [_("That entry is not on this notice.")]})
        objection = services.objection_raise(
            notice=notice, entry=entry, text=body.validated_data["text"], by=request.user
        )
        return Response(
            {
                "id": objection.pk,
                "notice": notice.pk,
                "entry": entry.pk,
                "case": objection.case.reference_no if objection.case_id else None,
                "state": objection.state,
            },
            status=status.HTTP_201_CREATED,
        )
