"""Kazakh and Russian labels shared by the DQ report packs and the yearbook.

Only fixed wording lives here (headings, statuses, severities, seasons). Names of things the
warehouse knows — regions, colleges — come from its dimensions (`name_kk`, `name_ru` columns)
through `localized()`, so a renamed region changes in one place: the reference data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

Lang = Literal["kk", "ru"]
# Publication languages, in the order the ministry lists them (state language first).
LANGS: tuple[Lang, ...] = get_args(Lang)

# key -> {"kk": ..., "ru": ..., optionally "en": ...}. English is only for CLI messages that an
# operator without Kazakh or Russian may read; publications use kk and ru.
LABELS: dict[str, dict[str, str]] = {
    # titles
    "dq_report": {"kk": "Деректер сапасы туралы есеп", "ru": "Отчёт о качестве данных"},
    "national_overview": {
        "kk": "Деректер сапасы: республикалық шолу",
        "ru": "Качество данных: республиканский обзор",
    },
    "data_as_of": {"kk": "Деректер жағдайы", "ru": "Данные по состоянию на"},
    "region": {"kk": "Өңір", "ru": "Регион"},
    "region_code": {"kk": "ҚАТО коды", "ru": "Код КАТО"},
    "round": {"kk": "Жинау кезеңі", "ru": "Период сбора"},
    "previous_round": {"kk": "Алдыңғы кезең", "ru": "Предыдущий период"},
    "current_round": {"kk": "Осы кезең", "ru": "Текущий период"},
    "change": {"kk": "Өзгеріс", "ru": "Изменение"},
    "reference_date": {"kk": "Есепті күн", "ru": "Отчётная дата"},
    "due_date": {"kk": "Тапсыру мерзімі", "ru": "Срок сдачи"},
    "metric": {"kk": "Көрсеткіш", "ru": "Показатель"},
    "value": {"kk": "Мәні", "ru": "Значение"},
    "rank": {"kk": "Орны", "ru": "Место"},
    "total_national": {"kk": "Республика бойынша барлығы", "ru": "Итого по республике"},
    "republic": {"kk": "Қазақстан Республикасы", "ru": "Республика Казахстан"},
    "no_region": {"kk": "Өңірі анықталмаған", "ru": "Регион не определён"},
    # sheets (Excel allows at most 31 characters)
    "sheet_summary": {"kk": "Жиынтық", "ru": "Сводка"},
    "sheet_late_missing": {"kk": "Кешіккен және тапсырмаған", "ru": "Опоздавшие и не сдавшие"},
    "sheet_findings": {"kk": "Колледждер бойынша ақаулар", "ru": "Замечания по колледжам"},
    "sheet_trend": {"kk": "Алдыңғы кезеңмен салыстыру", "ru": "Сравнение с прошлым периодом"},
    "sheet_regions": {"kk": "Өңірлер", "ru": "Регионы"},
    # findings of colleges not expected in the round: in no region's pack
    "sheet_unassigned": {"kk": "Тізілімнен тыс ақаулар", "ru": "Замечания вне реестра"},
    # summary metrics
    "expected": {"kk": "Тапсыруы тиіс колледждер", "ru": "Должны сдать (колледжей)"},
    "submitted": {"kk": "Тапсырды (қабылданды)", "ru": "Сдали (принято)"},
    "on_time": {"kk": "Мерзімінде тапсырды", "ru": "Сдали в срок"},
    "late": {"kk": "Кешіктіріп тапсырды", "ru": "Сдали с опозданием"},
    "missing": {"kk": "Тапсырылмаған", "ru": "Не сдали"},
    "held_back": {
        "kk": "оның ішінде тапсырыс тұтасымен ұсталған (қабылданбаған)",
        "ru": "в том числе отчёт задержан целиком (не принят)",
    },
    "previous_version_current": {
        "kk": "Түзету ұсталды, алдыңғы нұсқа күшінде",
        "ru": "Исправление задержано, действует предыдущая версия",
    },
    "corrected_after_due_date": {
        "kk": "Мерзімнен кейін түзетілді",
        "ru": "Исправлено после срока",
    },
    "reporting_rate": {"kk": "Тапсыру деңгейі", "ru": "Уровень сдачи"},
    "reporting_rate_on_time": {
        "kk": "Мерзімінде тапсыру деңгейі",
        "ru": "Уровень своевременной сдачи",
    },
    "hold_findings": {
        "kk": "Тапсырысты ұстайтын ақаулар",
        "ru": "Замечания, задерживающие отчёт",
    },
    "quarantined_rows": {
        "kk": "Есептен шығарылған жолдар",
        "ru": "Строки, исключённые из расчёта",
    },
    "warning_findings": {"kk": "Ескертулер", "ru": "Предупреждения"},
    # columns
    "college_bin": {"kk": "БСН", "ru": "БИН"},
    "college_name": {"kk": "Колледж атауы", "ru": "Наименование колледжа"},
    "status": {"kk": "Мәртебесі", "ru": "Статус"},
    "signed_at": {"kk": "ЭЦҚ қойылған уақыты", "ru": "Время подписания ЭЦП"},
    "deadline_at": {"kk": "Мерзімі", "ru": "Срок"},
    "file_path": {"kk": "Файл", "ru": "Файл"},
    "sheet": {"kk": "Парақ", "ru": "Лист"},
    "row_number": {"kk": "Жол", "ru": "Строка"},
    "field": {"kk": "Өріс", "ru": "Поле"},
    "rule_id": {"kk": "Ереже коды", "ru": "Код правила"},
    "severity": {"kk": "Маңыздылығы", "ru": "Критичность"},
    "offending_value": {"kk": "Қате мән", "ru": "Ошибочное значение"},
    "message": {"kk": "Түсініктеме", "ru": "Описание"},
    # empty states
    "none_late_missing": {
        "kk": "Кешіккен немесе тапсырмаған колледждер жоқ.",
        "ru": "Опоздавших и не сдавших колледжей нет.",
    },
    "none_findings": {"kk": "Ақаулар табылған жоқ.", "ru": "Замечаний нет."},
    "no_previous_round": {
        "kk": "Алдыңғы кезеңнің деректері қоймада жоқ.",
        "ru": "Данных за предыдущий период в хранилище нет.",
    },
    # notes under tables
    "note_rates": {
        "kk": "Тапсыру деңгейі = (мерзімінде + кешіктіріп) ÷ тапсыруы тиіс; "
        "мерзімінде тапсыру деңгейі = мерзімінде ÷ тапсыруы тиіс.",
        "ru": "Уровень сдачи = (в срок + с опозданием) ÷ должны сдать; "
        "уровень своевременной сдачи = в срок ÷ должны сдать.",
    },
    "note_ranking": {
        "kk": "Өңірлер тапсыру деңгейі, содан кейін мерзімінде тапсыру деңгейі бойынша реттелген.",
        "ru": "Регионы ранжированы по уровню сдачи, затем по уровню своевременной сдачи.",
    },
    "note_unassigned": {
        "kk": "Осы кезеңде тапсыруы тиіс колледждер тізілімінде жоқ колледждердің ақаулары; "
        "олар ешбір өңірдің есебіне кірмейді.",
        "ru": "Замечания по колледжам, которых нет в реестре обязанных сдать в этом периоде; "
        "в отчёты регионов они не входят.",
    },
    "pp": {"kk": "п.т.", "ru": "п.п."},
}

STATUS: dict[str, dict[str, str]] = {
    "on_time": {"kk": "мерзімінде", "ru": "в срок"},
    "late": {"kk": "кешіктірілген", "ru": "с опозданием"},
    "missing": {"kk": "тапсырылмаған", "ru": "не сдано"},
    "held_back": {"kk": "тапсырыс ұсталды (қабылданбаған)", "ru": "отчёт задержан (не принят)"},
    "rejected": {"kk": "файл оқылмады (қабылданбаған)", "ru": "файл не прочитан (не принято)"},
    "superseded": {"kk": "ауыстырылған", "ru": "заменено"},
    "previous_version_current": {
        "kk": "түзету ұсталды, алдыңғы нұсқа күшінде",
        "ru": "исправление задержано, действует предыдущая версия",
    },
    "corrected_after_due_date": {
        "kk": "мерзімінде тапсырылды, мерзімнен кейін түзетілді",
        "ru": "сдано, исправлено после срока",
    },
}

SEVERITY: dict[str, dict[str, str]] = {
    "reject": {"kk": "файл қабылданбады", "ru": "файл отклонён"},
    "hold": {"kk": "тапсырыс ұсталды", "ru": "отчёт задержан"},
    "quarantine": {"kk": "жол есептен шығарылды", "ru": "строка исключена из расчёта"},
    "warning": {"kk": "ескерту", "ru": "предупреждение"},
}

SEASON: dict[str, dict[str, str]] = {
    "autumn": {"kk": "күзгі", "ru": "осенний"},
    "spring": {"kk": "көктемгі", "ru": "весенний"},
}


def _pick(table: Mapping[str, Mapping[str, str]], key: str, lang: str) -> str:
    entry = table.get(key)
    if entry is None:
        # Unknown codes are shown as written rather than failing a whole publication.
        return key
    return entry.get(lang) or entry["ru"]


def t(key: str, lang: str) -> str:
    """A fixed label in `lang` (kk, ru, en); en falls back to ru when not given."""
    return _pick(LABELS, key, lang)


def status_label(status: str, lang: str) -> str:
    return _pick(STATUS, status, lang)


def severity_label(severity: str, lang: str) -> str:
    return _pick(SEVERITY, severity, lang)


def round_label(round_id: str, season: str, lang: str) -> str:
    """`2024-autumn` -> «2024 ж. күзгі жинау» / «осенний сбор 2024 г.»."""
    year = round_id.split("-", 1)[0]
    season_word = _pick(SEASON, season, lang)
    if lang == "kk":
        return f"{year} ж. {season_word} жинау ({round_id})"
    return f"{season_word.capitalize()} сбор {year} г. ({round_id})"


def localized(row: Mapping[str, Any], base: str, lang: str) -> str:
    """`row[f"{base}_{lang}"]`, falling back to the other language, then to ''.

    Dimensions carry `name_kk`/`name_ru`; a passport may fill only one of them, and a report
    should then show the name it has rather than a blank.
    """
    order = [lang, *(other for other in LANGS if other != lang)]
    for code in order:
        value = row.get(f"{base}_{code}")
        if value not in (None, ""):
            return str(value)
    return ""


# Operator messages (CLI), in all three languages.
MESSAGES: dict[str, dict[str, str]] = {
    "warehouse_missing": {
        "kk": "Қойма әлі құрылмаған ({path}). Алдымен `edustat demo-data` және `edustat run` "
        "іске қосыңыз.",
        "ru": "Хранилище ещё не построено ({path}). Сначала запустите `edustat demo-data` и "
        "`edustat run`.",
        "en": "The warehouse is not built yet ({path}). Run `edustat demo-data` and "
        "`edustat run` first.",
    },
    "marts_missing": {
        "kk": "Қоймада деректер сапасының витриналары жоқ ({tables}). `edustat run` іске қосыңыз.",
        "ru": "В хранилище нет витрин качества данных ({tables}). Запустите `edustat run`.",
        "en": "The warehouse has no data-quality marts yet ({tables}). Run `edustat run`.",
    },
    "round_unknown": {
        "kk": "Қоймада {round_id} кезеңі жоқ. Бар кезеңдер: {available}.",
        "ru": "Периода {round_id} в хранилище нет. Доступные периоды: {available}.",
        "en": "Round {round_id} is not in the warehouse. Available rounds: {available}.",
    },
    "region_unknown": {
        "kk": "{round_id} кезеңінде {region} өңірінің колледждері жоқ. Бар өңірлер: {available}.",
        "ru": "В периоде {round_id} нет колледжей региона {region}. Доступные регионы: "
        "{available}.",
        "en": "Round {round_id} has no colleges in region {region}. Available regions: "
        "{available}.",
    },
    "warehouse_busy": {
        "kk": "Қойма басқа процесте ашық тұр ({path}); ол аяқталғанша күтіңіз.",
        "ru": "Хранилище открыто другим процессом ({path}); дождитесь его завершения.",
        "en": "The warehouse is open in another process ({path}); wait until it finishes.",
    },
}


def message(key: str, **params: object) -> str:
    """An operator message in kk, ru and en (one line each), with `params` filled in."""
    return "\n".join(text.format(**params) for text in MESSAGES[key].values())
