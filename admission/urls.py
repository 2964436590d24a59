"""/admission/ pages."""

urlpatterns: list = []
