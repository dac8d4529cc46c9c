# Names that vulture (`make lint`) cannot see being used: a framework calls them, or they are
# read by name (getattr, attrgetter, a template). Everything else it reports is dead code.
# vulture's whitelist format: only parsed, never imported (`_` stands for any object).

# Dagster: pipelines/definitions.py collects each asset module's `sensors` and `schedules`, and
# runs a resource's setup (pipelines/assets/resources.py).
sensors
schedules
_.setup_for_execution
# dbt-duckdb loads its plugin class and calls its hook (pipelines/dbt_warehouse.py, named in
# dbt_project/profiles.yml).
Plugin
_.update_connection_config
# Dagster's SQLite storage calls the methods pipelines/dagster_storage.py overrides.
_._connect
_._event_log_storage
_.from_config_value
# Typer commands, registered by their decorators (pipelines/cli/*.py), and a test's callback.
contracts
rekey_command
_root
# pytest fixtures (autouse); html.parser callbacks in tests/test_proofreading.py.
shared_pseudonym_key
shared_cache
_.handle_starttag
_.handle_endtag
_.handle_data
# Great Expectations' context setting (pipelines/quality/runner.py).
_.progress_bars
# Fields read by name: the generator's contract columns (attrgetter, pipelines/demo/population.py),
# registry columns (getattr, pipelines/ingest/writer.py), pack metrics (getattr,
# pipelines/reports/tables.py), revision report columns (getattr, pipelines/yearbook/release.py),
# a template's CSS class, the regions table's row (pipelines/reference.py).
birth_date
qualification_code
study_language
study_form
enterprise_bin
_.enterprise_bin
reason_rule
name_round_id
header_college_bin
header_round_id
submitted
hold_findings
warning_findings
row_label_kk
row_label_ru
col_label_kk
col_label_ru
_.css_class
name_en
# The indicator registry's fields, written by name (dataclasses.asdict) into dbt's copy of the
# registry (pipelines/indicators.py `dbt_registry`), which the dbt models read.
_.target_year
_.framework
_.contributing
_.legal_basis
_.target_id
_.international
_.levels
# Registry columns the writer fills by name (pipelines/ingest/writer.py).
_.reason_sheet
_.reason_field
# pytest hooks (tests/conftest.py).
pytest_configure
pytest_collection_modifyitems
# A type only imported for a quoted annotation (pipelines/assets/ingest.py).
UnresolvedAssetJobDefinition
