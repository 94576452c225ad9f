from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("2fa/setup/", views.otp_setup, name="otp-setup"),
    path("2fa/verify/", views.otp_verify, name="otp-verify"),
]
