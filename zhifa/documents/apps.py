from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "zhifa.documents"
    label = "documents"

    def ready(self) -> None:
        # Imported here, not at module level: these modules load models, which needs a ready app registry.
        from zhifa.documents.deepcheck import check_documents
        from zhifa.records import deep

        deep.register("documents", check_documents)  # `zhifa verify --deep` (ADR 0017)
