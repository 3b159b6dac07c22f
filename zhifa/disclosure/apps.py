from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "zhifa.disclosure"
    label = "disclosure"

    def ready(self) -> None:
        # Imported here, not at module level: models may be imported only once the app registry is ready.
        from zhifa.cases import decisions
        from zhifa.disclosure.decisions import tasks  # noqa: F401  (registers the publicity-expiry job)
        from zhifa.disclosure.decisions.services import DECISIONS
        from zhifa.disclosure.deepcheck import check_disclosure
        from zhifa.disclosure.history import snapshot_source
        from zhifa.disclosure.services import SNAPSHOTS
        from zhifa.records import deep
        from zhifa.records.archive import register_blob_source
        from zhifa.registry import publication

        publication.listen(SNAPSHOTS)  # the portal pulls: registry entries published/withdrawn → snapshots (ADR 0023)
        register_blob_source(snapshot_source)  # archive packages carry the snapshots the ledger refers to (ADR 0045)
        deep.register("disclosure", check_disclosure)  # `zhifa verify --deep` (ADR 0017, ADR 0045)

        decisions.listen(DECISIONS)  # a decision made → its publication draft and deadlines (ADR 0044)
