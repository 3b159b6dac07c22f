"""Staff pages of the records app, mounted at /staff/records/ (namespace "records")."""

from django.urls import path

from zhifa.records import views

app_name = "records"
urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("uploads/", views.upload_session_create, name="upload_session_create"),
    path("uploads/<uuid:public_id>/", views.upload_session, name="upload_session"),
    path("uploads/<uuid:public_id>/finish/", views.upload_session_finish, name="upload_session_finish"),
    path("evidence/<uuid:public_id>/", views.evidence_detail, name="evidence_detail"),
    path("evidence/<uuid:public_id>/media/", views.evidence_media, name="evidence_media"),
    path("evidence/<uuid:public_id>/download/", views.evidence_download, name="evidence_download"),
    path("timeline/", views.timeline, name="timeline"),
    path("timeline/verify/", views.timeline_verify, name="timeline_verify"),
    path("timeline/archive/", views.timeline_archive, name="timeline_archive"),
    path("archives/", views.archive_packages, name="archive_packages"),
    path("archives/<uuid:public_id>/download/", views.archive_package_download, name="archive_package_download"),
    path("security/", views.security_events, name="security_events"),
]
