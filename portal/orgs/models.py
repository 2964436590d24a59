"""The bureau's organisation: districts, residential communities, schools and their attendance zones,
and the departments that take part in joint reviews. Staff scope (school / district / department) points
here, so every service app shares one picture of who is responsible for what."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary school")


class District(models.Model):
    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self):
        return self.name


class Community(models.Model):
    """A residential community (小区/社区); attendance zones are sets of these."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="communities")
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self):
        return self.name


class School(models.Model):
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="schools")
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    zone = models.ManyToManyField(
        Community, blank=True, related_name="schools", verbose_name=_("attendance zone (施教区)")
    )

    class Meta:
        ordering = ["district", "stage", "code"]
        verbose_name = _("school")
        verbose_name_plural = _("schools")

    def __str__(self):
        return self.name


class SchoolCapacity(models.Model):
    """Seats (学位) a school offers for entry in a year."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="capacities")
    year = models.PositiveSmallIntegerField(_("entry year"))
    seats = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["school", "year"]
        constraints = [
            models.UniqueConstraint(fields=["school", "year"], name="one_capacity_per_school_year")
        ]
        verbose_name = _("capacity")
        verbose_name_plural = _("capacities")

    def __str__(self):
        return f"{self.school} {self.year}: {self.seats}"


class Department(models.Model):
    """A department that reviews cases jointly (market regulation, fire safety …)."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name
