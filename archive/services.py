"""Archive actions: make a case's package, check a package, log a retrieval (services never see
``request``; views, the API, commands and the task call these).

Making a package (:func:`archive_case`) is idempotent and never rewrites anything: the files are written
into a fresh staging folder and checked (四性检测) without any lock held; then, under the case's row lock,
the folder is moved into place and the registry row inserted — unless a package exists by then, in which
case the staged copy is thrown away. The one-to-one link of package and case is the database's guarantee.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import stat
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from archive import keys
from archive.actions import ArchiveAction
from archive.checks import CheckReport, Property, check_package
from archive.models import ArchivePackage, CheckTrigger, PackageCheck, PackageDownload
from archive.package import (
    PackageBuildError,
    archive_root,
    seal_folder,
    snapshot_case,
    write_package,
)
from portal.accounts.models import Role
from portal.cases.models import Case
from portal.cases.scoping import can_see
from portal.cases.services import case_log_event

logger = logging.getLogger(__name__)

STAGING = ".staging"


class PackageCheckFailed(PackageBuildError):
    """A freshly made package did not pass its own four-properties check; it is not stored."""

    def __init__(self, reference_no: str, report: CheckReport):
        self.report = report
        failed = "; ".join(f"{i.code} {i.part}: {i.detail}" for i in report.failures)
        super().__init__(f"{reference_no}: the new package fails the four-properties check: {failed}")


def _remove_tree(path: Path) -> None:
    """Delete a staging or orphaned folder (made read-only while it was written)."""
    if not path.exists():
        return
    for child in [path, *path.rglob("*")]:
        if child.is_dir() and not child.is_symlink():
            os.chmod(child, stat.S_IRWXU)
    shutil.rmtree(path)


def package_folder(package: ArchivePackage) -> Path:
    return archive_root() / package.folder


def archive_case(*, case_id: int) -> ArchivePackage | None:
    """Make the package of a closed case, once. Returns the package (the existing one when it was made
    before), or None when the case is not closed. Raises :class:`PackageBuildError` when the package
    cannot be made (nothing is stored then)."""
    case = Case.objects.select_related("service", "district", "school", "applicant").get(pk=case_id)
    if not case.is_final:
        logger.warning("case %s is %s: not archived", case.reference_no, case.status)
        return None
    existing = ArchivePackage.objects.filter(case_id=case_id).first()
    if existing is not None:
        return existing

    snapshot = snapshot_case(case)
    root = archive_root()
    staging = root / STAGING / secrets.token_hex(12)
    try:
        written = write_package(snapshot, staging, keys.signing_key())
        report = check_package(staging)
        if not report.passed:
            raise PackageCheckFailed(case.reference_no, report)
        relative = Path(snapshot.fonds_code, str(snapshot.document_date.year), snapshot.archival_code)
        final = root / relative
        with transaction.atomic():
            Case.objects.select_for_update().filter(pk=case_id).values_list("pk", flat=True).get()
            existing = ArchivePackage.objects.filter(case_id=case_id).first()
            if existing is not None:  # another worker made it while this one was writing
                return existing
            if final.exists():  # left by a run that died before its row was committed: never registered
                logger.warning("removing unregistered package folder %s", final)
                _remove_tree(final)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging, final)
            try:
                package = ArchivePackage.objects.create(
                    case=case,
                    archival_code=snapshot.archival_code,
                    title=snapshot.title[:300],
                    fonds_code=snapshot.fonds_code,
                    fonds_name=snapshot.fonds_name,
                    responsible=snapshot.responsible[:200],
                    document_date=snapshot.document_date,
                    retention_period=snapshot.retention_period,
                    review_due=snapshot.review_due,
                    folder=relative.as_posix(),
                    manifest_sha256=written.manifest_sha256,
                    key_id=written.key_id,
                    parts=[part.as_dict() for part in written.parts],
                    size=written.size,
                )
                PackageCheck.objects.create(
                    package=package, trigger=CheckTrigger.BUILD, passed=True, items=report.as_json()
                )
                case_log_event(
                    case=case,
                    action=ArchiveAction.ARCHIVED,
                    note=snapshot.archival_code,
                    data={
                        "archival_code": snapshot.archival_code,
                        "manifest_sha256": written.manifest_sha256,
                        "retention": snapshot.retention_period,
                    },
                )
            except BaseException:
                os.rename(final, staging)  # not registered: it goes with the staging folder below
                raise
        seal_folder(final)
        logger.info("archived %s as %s", case.reference_no, snapshot.archival_code)
        return package
    finally:
        _remove_tree(staging)


def package_verify(*, package: ArchivePackage, by=None, trigger: str = CheckTrigger.PAGE) -> PackageCheck:
    """Run the four-properties check on a stored package now and record the result. Besides the
    folder's own check, the manifest must be the one the registry recorded when the package was made."""
    if by is not None and not (by.is_superuser or (by.role == Role.BUREAU and can_see(by, package.case))):
        raise PermissionDenied(_("Only bureau staff of the case's district run the archive check."))
    folder = package_folder(package)
    report = check_package(folder)
    manifest = folder / "manifest.xml"
    if manifest.is_file():
        digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
        report.add(
            Property.AUTHENTICITY,
            "registry",
            digest == package.manifest_sha256,
            "manifest.xml",
            "" if digest == package.manifest_sha256 else "differs from the manifest recorded in the registry",
        )
    return PackageCheck.objects.create(
        package=package, by=by, trigger=trigger, passed=report.passed, items=report.as_json()
    )


class DownloadWhat(models.TextChoices):
    PACKAGE = "package", _("Whole package (ZIP)")
    DOCUMENT = "document", _("Case document (PDF)")


def package_download(*, package: ArchivePackage, by, what: str) -> Path:
    """Log that ``by`` retrieves ``what`` of the package and return the folder to read from. Only staff
    who may see the case (its school's clerks, its district's bureau staff and auditors …) retrieve it;
    PermissionDenied otherwise, and nothing is logged."""
    if what not in DownloadWhat.values:
        raise ValueError(f"what must be one of {DownloadWhat.values}")
    if by is None or not by.is_authenticated or not (by.is_superuser or by.role != Role.CITIZEN):
        raise PermissionDenied(_("Only staff retrieve archive packages."))
    if not can_see(by, package.case):
        raise PermissionDenied(_("This package is outside your school or district."))
    PackageDownload.objects.create(package=package, by=by, by_label=by.display_name[:120], what=what)
    return package_folder(package)
