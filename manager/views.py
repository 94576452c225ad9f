from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import role_required


@role_required("manager", "admin")
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "manager/dashboard.html")
