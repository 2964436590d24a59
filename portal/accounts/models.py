"""People who use the portal and what they are responsible for.

Citizens sign in with phone + one-time code and are real-name verified against the household registry
(户籍) through the identity provider. Staff sign in with a password; each staff role is bound to the unit
whose cases it handles: a school clerk to a school, bureau staff to a district, a department reviewer to a
department. Auditors read only.
"""

import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.core import pii
from portal.core.fields import EncryptedTextField


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    CLERK = "clerk", _("School clerk")
    BUREAU = "bureau", _("Bureau staff")
    REVIEWER = "reviewer", _("Department reviewer")
    AUDITOR = "auditor", _("Auditor")


STAFF_ROLES = {Role.CLERK, Role.BUREAU, Role.REVIEWER, Role.AUDITOR}


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CITIZEN)
    # encrypted at rest; found and kept unique through its keyed hash (docs/adr/0019-phone-numbers.md)
    phone = EncryptedTextField(_("mobile phone"), null=True, blank=True, hash_field="phone_hash")
    phone_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    real_name = models.CharField(_("real name"), max_length=100, blank=True)
    id_number = EncryptedTextField(_("ID number"), blank=True, default="")
    id_number_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    real_name_verified_at = models.DateTimeField(_("real-name verified at"), null=True, blank=True)
    school = models.ForeignKey(
        "orgs.School",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("school"),
    )
    district = models.ForeignKey(
        "orgs.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("district"),
    )
    department = models.ForeignKey(
        "orgs.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("department"),
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [("view_full_id_number", _("May see a full ID number (each view is logged)"))]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.CLERK) | Q(school__isnull=False), name="clerk_has_school"
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.BUREAU) | Q(district__isnull=False), name="bureau_has_district"
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.REVIEWER) | Q(department__isnull=False),
                name="reviewer_has_department",
            ),
            models.UniqueConstraint(
                fields=["id_number_hash"], condition=~Q(id_number_hash=""), name="one_account_per_person"
            ),
        ]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        self.id_number_hash = pii.keyed_hash(self.id_number) if self.id_number else ""
        self.phone = self.phone or None
        self.phone_hash = pii.keyed_hash(self.phone) if self.phone else None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_hash"}
        super().save(*args, **kwargs)

    def validate_unique(self, exclude=None):
        """One account per mobile number, checked on the keyed hash (the column itself is encrypted)."""
        super().validate_unique(exclude)
        if self.phone and (not exclude or "phone" not in exclude):
            taken = User.objects.filter(phone=self.phone).exclude(pk=self.pk).exists()
            if taken:
                raise ValidationError({"phone": [_("Another account already has this mobile number.")]})

    @property
    def masked_phone(self) -> str:
        return pii.mask_phone(self.phone)

    @staticmethod
    def new_citizen_username() -> str:
        """A citizen's user name: random, never the phone number (which would then sit in plain text in
        the users table, the admin log and django-axes' records)."""
        return f"c{secrets.token_hex(8)}"

    @property
    def display_name(self) -> str:
        return self.real_name or self.get_full_name() or self.username

    @property
    def is_real_name_verified(self) -> bool:
        return self.real_name_verified_at is not None

    @property
    def is_portal_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def masked_id_number(self) -> str:
        return pii.mask_id(self.id_number)


class OneTimeCode(models.Model):
    """A six-digit sign-in code sent by SMS. Stored encrypted; used once; expires; five tries."""

    MAX_ATTEMPTS = 5

    # the number is needed to send the code: encrypted, looked up by its keyed hash
    phone = EncryptedTextField(hash_field="phone_hash")
    phone_hash = models.CharField(max_length=64, db_index=True, editable=False)
    code = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")

    def __str__(self):
        return f"{pii.mask_phone(self.phone)} @ {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        self.phone_hash = pii.keyed_hash(self.phone) if self.phone else ""
        super().save(*args, **kwargs)
