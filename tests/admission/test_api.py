"""/api/v1/admission/: bureau staff start and poll runs; everyone reads a masked public notice; bad
input is a field error, never a 500."""

from rest_framework.test import APIClient

from admission.models import AllocationRun
from admission.tasks import execute_run
from tests.admission import factories as F
from tests.factories import UserFactory


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_bureau_staff_open_a_round_start_a_run_and_poll_it(town):
    bureau = UserFactory(bureau=True, district=town["district"])
    for _ in range(3):
        F.qualified(town["district"], town["north"])
    response = api(bureau).post(
        "/api/v1/admission/rounds/", {"year": 2027, "stage": "primary"}, format="json"
    )
    assert response.status_code == 200
    pk = response.json()["id"]
    bad = api(bureau).post("/api/v1/admission/rounds/", {"year": "soon", "stage": "college"}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"year", "stage"}
    bad_seed = api(bureau).post(f"/api/v1/admission/rounds/{pk}/runs/", {"seed": "no spaces!"}, format="json")
    assert bad_seed.status_code == 400 and "seed" in bad_seed.json()
    started = api(bureau).post(f"/api/v1/admission/rounds/{pk}/runs/", {"seed": "api-seed"}, format="json")
    assert started.status_code == 202
    execute_run(started.json()["id"])  # queued on commit; the test transaction does not commit
    run = api(bureau).get(f"/api/v1/admission/runs/{started.json()['id']}/").json()
    assert (run["status"], run["counts"]["zone"], run["counts"]["redistributed"]) == ("done", 2, 1)
    other = api(bureau).post(f"/api/v1/admission/rounds/{pk}/runs/", {"seed": "other"}, format="json")
    assert other.status_code == 409

    notice = api().get("/api/v1/admission/notices/N01/2027/")
    assert notice.status_code == 200
    body = notice.json()
    assert body["seed"] == "api-seed" and len(body["entries"]) == 2
    assert all("*" in e["masked_name"] and "*" in e["masked_id"] for e in body["entries"])
    assert body["result_sha256"] == [AllocationRun.objects.get(dry_run=False).result_sha256]
    assert api().get("/api/v1/admission/notices/S01/2027/").status_code == 404


def test_citizens_and_other_districts_cannot_run_allocations(town):
    citizen = UserFactory()
    assert (
        api(citizen).post("/api/v1/admission/rounds/", {"year": 2027, "stage": "primary"}).status_code == 403
    )
    bureau = UserFactory(bureau=True, district=town["district"])
    pk = api(bureau).post("/api/v1/admission/rounds/", {"year": 2027, "stage": "primary"}).json()["id"]
    outsider = UserFactory(bureau=True, district=F.DistrictFactory(code="330402", name="南湖区"))
    assert api(outsider).post(f"/api/v1/admission/rounds/{pk}/runs/", {}).status_code == 404
    assert api().post(f"/api/v1/admission/rounds/{pk}/runs/", {}).status_code in (401, 403)
