from django.urls import path

from . import views

app_name = "collections"
urlpatterns = [path("queue/", views.queue, name="queue")]
