from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import role_required


@role_required("collector", "manager", "admin")
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "collections_app/queue.html")
