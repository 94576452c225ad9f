from django.urls import path

from .api import TokenLoginView

urlpatterns = [path("auth/token/", TokenLoginView.as_view(), name="api-token")]
