"""/api/v1/invitations/: the signed-in person's invitations, and accept / decline."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.invitations import selectors, services
from portal.invitations.models import Invitation


class InvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    service = serializers.CharField(help_text="Service item code")
    service_name = serializers.CharField()
    subject = serializers.CharField(help_text="Whom it is for, masked (王*明)")
    year = serializers.IntegerField()
    summary = serializers.CharField()
    status = serializers.ChoiceField(choices=["open", "accepted", "declined", "expired"])
    expires_on = serializers.DateField()
    case = serializers.CharField(allow_null=True, help_text="Reference number of the case opened on accept")

    def to_representation(self, instance):
        return selectors.invitation_json(instance)


class InvitationListView(generics.ListAPIView):
    serializer_class = InvitationSerializer

    def get_queryset(self):
        return selectors.invitations_for_user(self.request.user)

    @extend_schema(summary="Your invitations (免申即享), newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class InvitationActionView(APIView):
    ACTIONS = {"accept": services.invitation_accept, "decline": services.invitation_decline}

    @extend_schema(
        summary="Accept (opens the prefilled case) or decline an invitation",
        request=None,
        responses=InvitationSerializer,
    )
    def post(self, request, pk: int, action: str):
        service = self.ACTIONS.get(action)
        if service is None:
            raise exceptions.NotFound()
        invitation = get_object_or_404(Invitation, pk=pk)
        service(invitation=invitation, by=request.user)  # PermissionDenied → 403, ActionNotAllowed → 409
        invitation = Invitation.objects.select_related("service", "case").get(pk=pk)
        return Response(selectors.invitation_json(invitation))
