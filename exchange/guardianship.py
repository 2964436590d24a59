"""Is this person the child's parent? One answer from the registries for every service (enrollment,
after-school care, student status): the child's 户口簿 (the applicant is its head or the head's spouse),
else the birth record (the applicant is the mother or the father)."""

from functools import partial

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from exchange import sources as S
from exchange.errors import ExchangeError, NotFound
from exchange.services import lookup


def child_and_guardianship(
    child_id: str,
    guardian_id: str,
    *,
    purpose: str,
    requester,
    authorisation=None,
    field: str = "child_id_number",
) -> tuple[object, bool | None]:
    """Who the child is (their 户籍 entry; None when the registry cannot answer), and whether
    ``guardian_id`` is their parent: True / False, or None when the registries cannot answer now (the
    caller decides: wait and retry, or refuse for now). A child the registry does not know is a field
    error on ``field``. Every look-up is recorded with ``purpose`` like any other."""
    ask = partial(lookup, purpose=purpose, requester=requester, authorisation=authorisation)
    # The child's 户口簿 lists the child with their whole 户籍 entry: one look-up answers both questions.
    household = child = None
    household_unavailable = False
    try:
        household = ask(S.hukou_household, id_number=child_id)
        child = household.member(child_id)
    except NotFound:
        pass
    except ExchangeError:
        household_unavailable = True
    if child is None:  # no booklet (or the registry did not answer): the person entry alone
        try:
            child = ask(S.hukou_person, id_number=child_id)
        except NotFound:
            raise ValidationError(
                {field: [_("No child with this ID number is in the household registry.")]}
            ) from None
        except ExchangeError:
            return None, None
    if household_unavailable:
        return child, None
    if household is not None:
        member = household.member(guardian_id)
        if member is not None and member.relation in ("head", "spouse"):
            return child, True
    try:
        birth = ask(S.birth_record, child_id=child_id)
    except NotFound:
        return child, False
    except ExchangeError:
        return child, None
    return child, guardian_id in (birth.mother_id, birth.father_id)
