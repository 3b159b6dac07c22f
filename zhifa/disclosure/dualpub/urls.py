"""Staff pages of the 双公示 export, mounted at /staff/disclosure/dualpub/ (namespace "dualpub")."""

from django.urls import path

from zhifa.disclosure.dualpub import views

app_name = "dualpub"
urlpatterns = [
    path("", views.page, name="page"),
    path("penalties.csv", views.download, {"fmt": "csv"}, name="download_csv"),
    path("penalties.xlsx", views.download, {"fmt": "xlsx"}, name="download_xlsx"),
    path("push/", views.push_request, name="push"),
    path("pushes/<uuid:public_id>/", views.delivery_page, name="delivery"),
    path("pushes/<uuid:public_id>/retry/", views.push_retry, name="retry"),
]
