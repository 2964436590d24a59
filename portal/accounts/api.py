"""Sign-in endpoints of contracts/api-enrollment.md: /api/v1/auth/otp/, otp/verify/, token/."""

from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.accounts import identity, services, throttles


class PhoneSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20)


class PhoneCodeSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=20)
    code = serializers.RegexField(r"^\d{6}$", error_messages={"invalid": "The code has 6 digits."})


class PasswordSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


TokenResponse = inline_serializer("TokenResponse", {"token": serializers.CharField()})


def _issue_token(user) -> str:
    with transaction.atomic():
        Token.objects.filter(user=user).delete()  # a new sign-in replaces (and so expires) the old token
        return Token.objects.create(user=user).key


def _too_many(message: str, wait_seconds: int, **fields) -> Response:
    return Response(
        {"detail": message, "wait_seconds": wait_seconds, **fields},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(wait_seconds)},
    )


class OtpRequestView(APIView):
    """Limited per phone (one code a minute, a daily cap) and, loosely, per address: see throttles.py."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=PhoneSerializer, responses={202: None, 429: None}, summary="Send a one-time sign-in code"
    )
    def post(self, request):
        data = PhoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        allowed, wait = throttles.address_allows_code_request(request)
        if not allowed:
            return _too_many(throttles.too_many_from_address_message(), wait)
        try:
            services.otp_request(phone=data.validated_data["phone"])
        except throttles.CodeRequestRefused as refused:
            message = refused.message_dict["phone"][0]
            return _too_many(message, refused.wait_seconds, phone=[message])
        return Response({"detail": _("The code has been sent.")}, status=status.HTTP_202_ACCEPTED)


class OtpVerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=PhoneCodeSerializer, responses={200: TokenResponse}, summary="Sign in with the code"
    )
    def post(self, request):
        data = PhoneCodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = services.sign_in_with_code(request=request._request, **data.validated_data)
        except identity.IdentityUnavailable:
            return Response(
                {"detail": _("Real-name verification is unavailable right now; please try again shortly.")},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"token": _issue_token(user)})


class PasswordTokenView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=PasswordSerializer, responses={200: TokenResponse}, summary="Staff token")
    def post(self, request):
        data = PasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.sign_in_with_password(request=request._request, **data.validated_data)
        return Response({"token": _issue_token(user)})


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField()
    real_name = serializers.CharField()
    id_number = serializers.CharField(source="masked_id_number")
    phone = serializers.SerializerMethodField()
    real_name_verified = serializers.BooleanField(source="is_real_name_verified")

    def get_phone(self, user) -> str:
        from portal.core.pii import mask_phone

        return mask_phone(user.phone)


class MeView(APIView):
    @extend_schema(responses={200: MeSerializer}, summary="The signed-in person (ID number masked)")
    def get(self, request):
        return Response(MeSerializer(request.user).data)
