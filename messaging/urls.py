from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("reminders/", views.reminders_overview, name="reminders"),
]
