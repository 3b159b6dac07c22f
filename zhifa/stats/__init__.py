"""The annual enforcement statistics report (行政执法统计年报, rules.md §8 STAT-1…10): the tables counted from the case
data by named counting rules (`counting.py`), laid out by a template (`tables/*.json`, `templates.py`), and frozen
as a snapshot when published (`services.stats_report_freeze`). ADR 0041."""
