"""/payments/ pages."""

urlpatterns: list = []
