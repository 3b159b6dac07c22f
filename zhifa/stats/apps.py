from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "zhifa.stats"
    label = "stats"
    verbose_name = "行政执法统计年报"
