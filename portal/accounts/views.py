"""Sign-in pages: citizens with phone + one-time code (real-name verified), staff with a password.

The pages only collect input and show the services' answers (portal/accounts/services.py). django-axes
counts failures inside ``authenticate``; once an account is locked its middleware replaces the response
with the lockout page (portal/accounts/lockout.py).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from portal.accounts import identity, services, throttles
from portal.accounts.forms import CodeForm, PhoneForm, StaffLoginForm
from portal.core import pii
from portal.core.forms import add_service_errors
from portal.core.pii import mask_phone

SESSION_PHONE = "signin_phone"  # the number being signed in, encrypted (sessions are stored in the database)
SESSION_NEXT = "signin_next"


def _safe_next(request, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def _after_sign_in(request) -> str:
    return request.session.pop(SESSION_NEXT, None) or resolve_url(settings.LOGIN_REDIRECT_URL)


def _remember_next(request) -> None:
    next_url = _safe_next(request, request.GET.get("next") or request.POST.get("next"))
    if next_url:
        request.session[SESSION_NEXT] = next_url


def _session_phone(request) -> str | None:
    token = request.session.get(SESSION_PHONE)
    if not token:
        return None
    try:
        return pii.decrypt_str(token)
    except (ValueError, TypeError):  # written before the number was encrypted, or by an old key
        request.session.pop(SESSION_PHONE, None)
        return None


def _render_login(request, *, phone_form=None, code_form=None, phone=None, status=200):
    context = {
        "phone_form": phone_form or PhoneForm(initial={"phone": phone or ""}),
        "code_form": code_form,
        "phone": phone,
        "masked_phone": mask_phone(phone) if phone else "",
        # the sandbox inbox is opened by the number's keyed hash: no phone number in a URL
        "inbox_token": pii.keyed_hash(phone) if phone else "",
    }
    return render(request, "accounts/login.html", context, status=status)


def _send_code(request, *, phone_form: PhoneForm, at_code_step: bool):
    """Ask the service for a code; on success go to the code step, else show why on the current step."""
    phone = _session_phone(request) if at_code_step else None
    if not phone_form.is_valid():
        if at_code_step:
            return _render_login(
                request, code_form=_code_form_with(phone_form.errors), phone=phone, status=400
            )
        return _render_login(request, phone_form=phone_form, status=400)
    if not throttles.address_allows_code_request(request)[0]:
        phone_form.add_error(None, throttles.too_many_from_address_message())
    else:
        try:
            otp = services.otp_request(phone=phone_form.cleaned_data["phone"])
        except ValidationError as exc:
            add_service_errors(phone_form, exc)
        else:
            request.session[SESSION_PHONE] = pii.encrypt_str(otp.phone)
            messages.info(
                request,
                _("A verification code has been sent to %(phone)s.") % {"phone": mask_phone(otp.phone)},
            )
            return redirect(f"{reverse('accounts:login')}?step=code")
    if at_code_step:
        return _render_login(request, code_form=_code_form_with(phone_form.errors), phone=phone, status=400)
    return _render_login(request, phone_form=phone_form, status=400)


def _code_form_with(errors) -> CodeForm:
    """An empty code form showing ``errors`` (of a failed re-send) at its top."""
    form = CodeForm()
    form.cleaned_data = {}  # unbound: add_error needs it
    for field_messages in errors.values():
        form.add_error(None, list(field_messages))
    return form


def _verify_code(request):
    phone = _session_phone(request)
    if not phone:
        messages.warning(request, _("Enter your mobile number first."))
        return redirect("accounts:login")
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            user = services.sign_in_with_code(request=request, phone=phone, code=form.cleaned_data["code"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        except identity.IdentityUnavailable:
            form.add_error(
                None,
                _(
                    "Real-name verification is unavailable right now, so we cannot sign you in. "
                    "Please request a new code in a few minutes."
                ),
            )
        else:
            next_url = _after_sign_in(request)
            login(request, user)
            return redirect(next_url)
    return _render_login(request, code_form=form, phone=phone, status=400)


@never_cache
@sensitive_post_parameters("code", "phone")
@require_http_methods(["GET", "POST"])
def login_view(request):
    """Citizen sign-in: 1. mobile number → a code by SMS; 2. the code → signed in, real-name verified."""
    _remember_next(request)
    if request.method == "GET":
        if request.user.is_authenticated and "step" not in request.GET:
            return redirect(_after_sign_in(request))
        phone = _session_phone(request)
        if phone and request.GET.get("step") == "code":
            return _render_login(request, code_form=CodeForm(), phone=phone)
        return _render_login(request, phone=phone)

    action = request.POST.get("action")
    if action == "verify":
        return _verify_code(request)
    if action == "change":
        request.session.pop(SESSION_PHONE, None)
        return redirect("accounts:login")
    if action == "resend":
        phone = _session_phone(request)
        if not phone:
            return redirect("accounts:login")
        phone_form = PhoneForm({"phone": phone})
        return _send_code(request, phone_form=phone_form, at_code_step=True)
    return _send_code(request, phone_form=PhoneForm(request.POST), at_code_step=False)


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def staff_login_view(request):
    """Staff sign-in with user name and password (school clerks, bureau staff, reviewers, auditors)."""
    _remember_next(request)
    form = StaffLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.sign_in_with_password(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            next_url = _after_sign_in(request)
            login(request, user)
            return redirect(next_url)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/staff_login.html", {"form": form}, status=status)
