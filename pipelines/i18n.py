"""Publication languages and operator messages.

Words a publication prints come from the warehouse: names of things from the dimensions
(`name_kk`, `name_ru`, read through `localized()`), names of codes and the fixed wording of the
packs from `marts.dim_label` (dbt seed `dbt_project/seeds/dim_label.csv`, read by
`pipelines.publishing.labels`). Only the CLI's own messages, which an operator reads before any
warehouse exists, live here, in Kazakh, Russian and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

Lang = Literal["kk", "ru"]
# Publication languages, in the order the ministry lists them (state language first).
LANGS: tuple[Lang, ...] = get_args(Lang)


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
