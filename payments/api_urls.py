"""/api/v1/payments/."""

urlpatterns: list = []
