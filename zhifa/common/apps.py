from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "zhifa.common"
    label = "common"

    def ready(self) -> None:
        from django_tasks.signals import task_finished

        from zhifa.common.tasks import retry_failed

        # Bounded retries of failed background tasks (ADR 0028); the worker sends task_finished.
        task_finished.connect(retry_failed, dispatch_uid="zhifa.common.tasks.retry_failed")
