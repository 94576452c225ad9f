from django.urls import path

from . import views

app_name = "collections"
c = "cases/<int:case_id>/"
urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path(c, views.case_detail, name="case"),
    path(c + "contact/", views.contact, name="contact"),
    path(c + "compose/", views.compose, name="compose"),
    path(c + "message/", views.message_send, name="message"),
    path(c + "attempts/<int:attempt_id>/outcome/", views.call_outcome, name="outcome"),
    path(c + "promise/", views.promise_add, name="promise"),
    path(c + "plan/propose/", views.plan_builder, name="plan_propose"),
    path(c + "plan/", views.plan_save, name="plan"),
    path(c + "payment/", views.payment_add, name="payment"),
    path(c + "note/", views.note_add, name="note"),
    path(c + "follow-up/", views.follow_up_add, name="follow_up"),
    path(c + "follow-ups/<int:follow_up_id>/done/", views.follow_up_done, name="follow_up_done"),
    path(c + "restriction/", views.restriction_add, name="restriction"),
    path(c + "consent/", views.consent_add, name="consent"),
    path(c + "escalate/", views.escalation_add, name="escalate"),
    path(c + "status/", views.status_change, name="status"),
]
