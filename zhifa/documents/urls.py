"""Staff pages of the documents app, mounted at /staff/documents/ (namespace "documents")."""

from django.urls import path

from zhifa.documents import views

app_name = "documents"
urlpatterns: list = [
    path("<uuid:public_id>/", views.document_detail, name="detail"),
    path("<uuid:public_id>/pdf/", views.document_pdf, name="pdf"),
    path("<uuid:public_id>/docx/", views.document_docx, name="docx"),
]
