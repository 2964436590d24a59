"""A guardian sees every look-up about them or their children — and no other family's."""

import pytest
from django.urls import reverse

from exchange import services, sources
from exchange.errors import NotAuthorised
from tests.exchange.conftest import LI_CHILD, LI_FATHER, ZHANG_SON
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def _registry(registry):
    pass


@pytest.fixture
def li(db):
    return UserFactory(id_number=LI_FATHER, real_name="李䶮")


@pytest.fixture
def made(zhang, zhang_case, authorise):
    """A clerk checks the Zhang child's 户籍 for the family's enrollment case."""
    authorise(ZHANG_SON, sources=["hukou", "student"], case=zhang_case, name="张小明")
    clerk = UserFactory(clerk=True, real_name="王老师")
    services.lookup(
        sources.hukou_person,
        id_number=ZHANG_SON,
        purpose="幼升小入学资格核验",
        case=zhang_case,
        requester=clerk,
    )


def test_the_family_sees_the_look_up(client, zhang, zhang_case, made):
    client.force_login(zhang, backend=BACKEND)
    page = client.get(reverse("exchange:data-trail"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="lookup"') == 1
    for shown in (
        "户籍",
        zhang_case.reference_no,
        "王老师",
        "幼升小入学资格核验",
        "张小明 (330***********0316)",
    ):
        assert shown in html, shown
    assert ZHANG_SON not in html  # masked
    entry = zhang_case.exchange_lookups.get()
    detail = client.get(reverse("exchange:data-trail-entry", args=[entry.pk]))
    assert detail.status_code == 200 and entry.answer_sha256 in detail.content.decode()


def test_another_family_does_not(client, li, zhang_case, made):
    client.force_login(li, backend=BACKEND)
    html = client.get(reverse("exchange:data-trail")).content.decode()
    assert 'class="lookup"' not in html and zhang_case.reference_no not in html
    entry = zhang_case.exchange_lookups.get()
    assert client.get(reverse("exchange:data-trail-entry", args=[entry.pk])).status_code == 404


def test_typing_a_child_s_id_number_does_not_open_that_child_s_trail(client, li, authorise, made):
    """A stranger can authorise look-ups of an ID number they typed; that shows their own look-ups only."""
    authorise(ZHANG_SON, sources=["hukou"], guardian=li)
    client.force_login(li, backend=BACKEND)
    assert 'class="lookup"' not in client.get(reverse("exchange:data-trail")).content.decode()


def test_look_ups_about_the_guardian_themselves_show_whoever_asked(client, li, zhang, authorise):
    """The Li father's 户籍 fetched under another applicant's authorisation still shows on his trail."""
    authorise(LI_FATHER, sources=["hukou"], guardian=zhang)
    services.lookup(sources.hukou_person, id_number=LI_FATHER, purpose="核验")
    client.force_login(li, backend=BACKEND)
    html = client.get(reverse("exchange:data-trail")).content.decode()
    assert html.count('class="lookup"') == 1


def test_own_case_look_ups_are_shown_even_when_refused(client, li, authorise):
    case = CaseFactory(applicant=li, subject_id_number=LI_CHILD)
    with pytest.raises(NotAuthorised):
        services.lookup(sources.student_records, id_number=LI_CHILD, purpose="学籍核验", case=case)
    client.force_login(li, backend=BACKEND)
    html = client.get(reverse("exchange:data-trail")).content.decode()
    assert html.count('class="lookup"') == 1 and "学籍" in html


def test_sign_in_required(client, settings):
    settings.LOGIN_URL = "/accounts/login/"
    response = client.get(reverse("exchange:data-trail"))
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
