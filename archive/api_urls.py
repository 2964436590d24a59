"""/api/v1/archive/."""

urlpatterns: list = []
