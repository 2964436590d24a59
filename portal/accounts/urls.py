from django.contrib.auth.views import LogoutView
from django.urls import path

from portal.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("staff-login/", views.staff_login_view, name="staff_login"),
    path("logout/", LogoutView.as_view(), name="logout"),
]
