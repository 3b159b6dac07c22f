"""Staff pages of the cases app, mounted at /staff/cases/ (namespace "cases")."""

from django.urls import path

from zhifa.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("due/", views.due_list, name="due"),
    path("new/", views.case_new, name="new"),
    path("<uuid:public_id>/", views.case_detail, name="detail"),
    path("<uuid:public_id>/act/<slug:action>/", views.case_action, name="act"),
    path("<uuid:public_id>/upload/", views.case_upload, name="upload"),
    path("<uuid:public_id>/upload/sessions/", views.case_upload_session, name="upload_session"),
    path("<uuid:public_id>/upload/sessions/<uuid:session_id>/finish/", views.case_upload_finish,
         name="upload_finish"),
]
