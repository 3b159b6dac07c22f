from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "zhifa.documents"
    label = "documents"

    def ready(self) -> None:
        from zhifa.documents.deepcheck import check_documents
        from zhifa.records import deep

        deep.register("documents", check_documents)  # `zhifa verify --deep` (ADR 0017)
