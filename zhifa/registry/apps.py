from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "zhifa.registry"
    label = "registry"

    def ready(self) -> None:
        # Imported here, not at module level: these modules load models, which needs a ready app registry.
        from zhifa.records import deep
        from zhifa.registry.deepcheck import check_registry

        deep.register("registry", check_registry)  # `zhifa verify --deep` (ADR 0017)
