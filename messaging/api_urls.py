from django.contrib.auth.decorators import login_not_required
from django.urls import path

from .api import InboundView, ReceiptView

# Providers authenticate with the webhook token, not a user session.
urlpatterns = [
    path(
        "messaging/inbound/",
        login_not_required(InboundView.as_view()),
        name="messaging-inbound",
    ),
    path(
        "messaging/receipts/",
        login_not_required(ReceiptView.as_view()),
        name="messaging-receipts",
    ),
]
