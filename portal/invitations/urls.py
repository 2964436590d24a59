from django.urls import path

from portal.invitations import views

app_name = "invitations"
urlpatterns = [
    path("", views.my_invitations, name="mine"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/decline/", views.decline, name="decline"),
]
