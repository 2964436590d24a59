"""/api/v1/admission/."""

urlpatterns: list = []
