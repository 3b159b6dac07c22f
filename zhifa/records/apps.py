from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "zhifa.records"
    label = "records"

    def ready(self) -> None:
        from zhifa.records import (
            checks,  # noqa: F401  (registers the deployment checks)
            deep,
        )
        from zhifa.records.deepcheck import check_evidence
        from zhifa.records.filecheck import configure_pillow

        deep.register("evidence", check_evidence)  # `zhifa verify --deep` (ADR 0017)
        configure_pillow()  # every image decode in the process honours ZHIFA_IMAGE_MAX_PIXELS (defect 13)
