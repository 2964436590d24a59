"""/archive/ pages."""

urlpatterns: list = []
