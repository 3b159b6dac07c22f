from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "zhifa.records"
    label = "records"

    def ready(self) -> None:
        from zhifa.records import checks  # noqa: F401  (registers the deployment checks)
        from zhifa.records.filecheck import configure_pillow

        configure_pillow()  # every image decode in the process honours ZHIFA_IMAGE_MAX_PIXELS (defect 13)
