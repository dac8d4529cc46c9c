"""What the operator commands (`edustat run`, `status`, `sql`) say, in Kazakh, Russian and English.

The language of a command's output: `--lang`, else EDUSTAT_LANG, else the locale (LANG kk_KZ ->
kk, ru_RU -> ru), else English. An error that ends a command is said in all three languages, one
line each (pipelines.i18n.message does the same for the report commands), because whoever reads
it may not have chosen a language yet.
"""

from __future__ import annotations

import os
from typing import Literal, get_args

CliLang = Literal["kk", "ru", "en"]
CLI_LANGS: tuple[CliLang, ...] = get_args(CliLang)
LANG_ENV = "EDUSTAT_LANG"


def cli_lang(chosen: str | None = None) -> CliLang:
    """The language asked for, or the one the environment suggests."""
    for candidate in (chosen, os.environ.get(LANG_ENV), os.environ.get("LANG")):
        code = (candidate or "").strip().lower()[:2]
        if code in CLI_LANGS:
            return code  # type: ignore[return-value]
    return "en"


# key -> {kk, ru, en}. `{name}` placeholders are filled by `say`.
WORDS: dict[str, dict[str, str]] = {
    # sources are named by their contracts (`listed_as`); files outside every source:
    "(unknown)": {
        "kk": "Белгісіз орындағы файлдар",
        "ru": "Файлы вне известных папок",
        "en": "Files outside known folders",
    },
    # file statuses
    "loaded": {"kk": "қабылданды", "ru": "принят", "en": "loaded"},
    "held_back": {"kk": "ұсталды", "ru": "задержан", "en": "held back"},
    "rejected": {"kk": "қабылданбады", "ru": "отклонён", "en": "rejected"},
    "superseded": {"kk": "ауыстырылды", "ru": "заменён", "en": "superseded"},
    "new": {"kk": "жаңа", "ru": "новых", "en": "new"},
    "unchanged": {"kk": "өзгермеген", "ru": "без изменений", "en": "unchanged"},
    "source": {"kk": "дереккөз", "ru": "источник", "en": "source"},
    # steps of a run, in the words of what they do
    "step_ingest": {
        "kk": "Файлдарды оқу",
        "ru": "Чтение файлов",
        "en": "Reading files",
    },
    "step_reference": {
        "kk": "Анықтамалықтар",
        "ru": "Справочники",
        "en": "Reference tables",
    },
    "step_register": {
        "kk": "Файлдар тізілімі",
        "ru": "Реестр файлов",
        "en": "File register",
    },
    "step_dbt_staging": {
        "kk": "Деректерді дайындау (dbt)",
        "ru": "Подготовка данных (dbt)",
        "en": "Preparing data (dbt)",
    },
    "step_checks": {
        "kk": "Сапа тексерулері",
        "ru": "Проверки качества",
        "en": "Quality checks",
    },
    "step_dbt_marts": {
        "kk": "Витриналар мен көрсеткіштер (dbt)",
        "ru": "Витрины и показатели (dbt)",
        "en": "Marts and indicators (dbt)",
    },
    "step_packs": {
        "kk": "Өңірлік есептер",
        "ru": "Региональные отчёты",
        "en": "Regional DQ packs",
    },
    "step_publish": {
        "kk": "Жариялау",
        "ru": "Публикация",
        "en": "Publishing the snapshot",
    },
    "step_yearbook": {
        "kk": "Жылнама",
        "ru": "Ежегодник",
        "en": "Yearbook",
    },
    "step_other": {"kk": "Қадам", "ru": "Шаг", "en": "Step"},
    "files_word": {"kk": "файл", "ru": "файлов", "en": "files"},
    "models_word": {"kk": "модель", "ru": "моделей", "en": "models"},
    "checks_word": {"kk": "тексеру", "ru": "проверок", "en": "checks"},
    "done": {"kk": "дайын", "ru": "готово", "en": "done"},
    "seconds": {"kk": "{seconds:.1f} с", "ru": "{seconds:.1f} с", "en": "{seconds:.1f} s"},
    # The summary of a failed `edustat run` (stderr): which run and step, and where to look.
    "failed_run": {
        "kk": "ҚАТЕ: іске қосу {label}",
        "ru": "ОШИБКА: запуск {label}",
        "en": "FAILED run: {label}",
    },
    "failed_step": {"kk": "  қадам {error}", "ru": "  шаг {error}", "en": "  step {error}"},
    "dbt_reported": {
        "kk": "dbt хабарлады ({log}):",
        "ru": "dbt сообщил ({log}):",
        "en": "dbt reported ({log}):",
    },
    "where_errors": {
        "kk": "Толық қателер: {log}; іске қосу есебі: {report}; барлық оқиғалар: edustat ui (Runs)",
        "ru": "Полный текст ошибок: {log}; отчёт о запуске: {report};"
        " все события: edustat ui (Runs)",
        "en": "Full errors: {log}; run report: {report}; every event: edustat ui (Runs)",
    },
    "failed": {"kk": "ҚАТЕ", "ru": "ОШИБКА", "en": "FAILED"},
    "up_to_date": {
        "kk": "Қойма өзекті: соңғы құрастырудан бері бірде-бір файл, код не баптау өзгермеген, "
        "сондықтан dbt, тексерулер, есептер, жариялау және жылнама қайта іске қосылмады "
        "(`edustat run --force` қайта құрастырады).",
        "ru": "Хранилище актуально: с последней сборки не изменились ни файлы, ни код, ни "
        "настройки, поэтому dbt, проверки, отчёты, публикация и ежегодник не перезапускались "
        "(`edustat run --force` пересоберёт).",
        "en": "Warehouse up to date: no landing file, code or setting changed since the last "
        "complete build, so dbt, checks, reports, publish and the yearbook were not re-run "
        "(`edustat run --force` rebuilds).",
    },
    "files_title": {
        "kk": "Дереккөздер бойынша файлдар (осы іске қосудан кейін)",
        "ru": "Файлы по источникам (после этого запуска)",
        "en": "Files per source (after this run)",
    },
    "rejected_in_run": {
        "kk": "Осы іске қосуда қабылданбағандар ({n}):",
        "ru": "Отклонены в этом запуске ({n}):",
        "en": "Rejected in this run ({n}):",
    },
    "more_rejected": {
        "kk": "… тағы {n}: `edustat status` немесе өңірлік есептер",
        "ru": "… ещё {n}: `edustat status` или региональные отчёты",
        "en": "… {n} more: `edustat status` or the regional DQ packs",
    },
    "timing": {
        "kk": "конвейер {pipeline:.1f} с, іске қосу саны {runs}; барлығы {total:.1f} с",
        "ru": "конвейер {pipeline:.1f} с, запусков {runs}; всего {total:.1f} с",
        "en": "pipeline {pipeline:.1f} s in {runs} run(s); total {total:.1f} s",
    },
    "made_title": {"kk": "Дайын:", "ru": "Готово:", "en": "What this run made:"},
    "current_title": {
        "kk": "Соңғы құрастырудың нәтижелері:",
        "ru": "Результаты последней сборки:",
        "en": "What the last build made:",
    },
    "made_snapshot": {
        "kk": "жарияланған қойма",
        "ru": "опубликованная база",
        "en": "published snapshot",
    },
    "made_packs": {"kk": "өңірлік есептер", "ru": "региональные отчёты", "en": "DQ packs"},
    "made_yearbook": {"kk": "жылнама", "ru": "ежегодник", "en": "yearbook"},
    "made_logs": {"kk": "журналдар", "ru": "журналы", "en": "logs"},
    "next_title": {"kk": "Әрі қарай:", "ru": "Дальше:", "en": "Next:"},
    "next_query": {"kk": "сұраныс", "ru": "запрос", "en": "query"},
    "next_status": {"kk": "қойма күйі", "ru": "состояние", "en": "what is loaded"},
    "next_packs": {"kk": "есептерді ашу", "ru": "открыть отчёты", "en": "open the packs"},
    "next_ui": {"kk": "Dagster UI", "ru": "Dagster UI", "en": "Dagster UI"},
    "last_build_kept": {
        "kk": "соңғы құрастыру журналдары",
        "ru": "журналы последней сборки",
        "en": "logs of the last build",
    },
}


def say(key: str, lang: str, **params: object) -> str:
    entry = WORDS.get(key) or _source_words(key)
    if entry is None:
        return key  # a name the table does not know is shown as written
    text = entry.get(lang) or entry["en"]
    return text.format(**params) if params else text


def _source_words(key: str) -> dict[str, str] | None:
    """A source's name in listings, from its contract."""
    from pipelines.contracts import load_contract, sources

    return load_contract(key).listed_as if key in sources() else None
