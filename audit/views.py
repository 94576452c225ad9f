from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import role_required


@role_required("auditor", "admin")
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "audit/home.html")
