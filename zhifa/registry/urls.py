from django.urls import path

from zhifa.registry import views
from zhifa.workdays import views as workday_views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("calendar/", workday_views.calendar_page, name="calendar"),
    path("supervision-events/", views.supervision_events, name="supervision_events"),
    path("agency/<uuid:public_id>/supervision/", views.agency_supervision, name="agency_supervision"),
    path("<slug:slug>/", views.entry_list, name="entry_list"),
    path("<slug:slug>/new/", views.entry_create, name="entry_create"),
    path("<slug:slug>/new/under/<uuid:parent_id>/", views.entry_create, name="child_create"),
    path("<slug:slug>/<uuid:public_id>/", views.entry_detail, name="entry_detail"),
    path("<slug:slug>/<uuid:public_id>/edit/", views.entry_edit, name="entry_edit"),
    path("<slug:slug>/<uuid:public_id>/<slug:action>/", views.entry_action, name="entry_action"),
]
