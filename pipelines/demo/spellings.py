"""How a file spells code and boolean values, per language.

Each entry maps a canonical code to the spelling the generator writes; every spelling must be one
the contract accepts (`Column.allowed`, `boolean_spellings`) — `check_spellings()` asserts it, so a
clean file can never raise domain.allowed_values by accident. Russian CSV files (Windows-1251)
use the `ru` spellings, which contain no Kazakh letters.
"""

from __future__ import annotations

from pipelines.contracts import boolean_spellings, load_contract, normalise_label

# (source, column) -> language -> list of variants; a variant maps canonical code -> spelling.
# A file picks one variant and uses it throughout (real exports are consistent within a file).
CODE_SPELLINGS: dict[tuple[str, str], dict[str, list[dict[str, str]]]] = {
    ("nobd_submission", "gender"): {
        "kk": [{"M": "ер", "F": "әйел"}, {"M": "Ер", "F": "Әйел"}],
        "ru": [{"M": "м", "F": "ж"}, {"M": "муж", "F": "жен"}, {"M": "Мужской", "F": "Женский"}],
    },
    ("nobd_submission", "study_language"): {
        "kk": [{"kk": "қазақ", "ru": "орыс", "en": "ағылшын"}],
        "ru": [
            {"kk": "казахский", "ru": "русский", "en": "английский"},
            {"kk": "каз", "ru": "рус", "en": "англ"},
        ],
    },
    ("nobd_submission", "study_form"): {
        "kk": [{"full_time": "күндізгі", "part_time": "сырттай", "evening": "кешкі"}],
        "ru": [{"full_time": "очная", "part_time": "заочная", "evening": "вечерняя"}],
    },
    ("nobd_submission", "funding"): {
        "kk": [
            {
                "state_order": "мемлекеттік тапсырыс",
                "paid": "ақылы",
                "enterprise": "кәсіпорын есебінен",
            },
            {
                "state_order": "мемтапсырыс",
                "paid": "ақылы негізде",
                "enterprise": "кәсіпорын есебінен",
            },
        ],
        "ru": [
            {"state_order": "госзаказ", "paid": "платное", "enterprise": "за счёт предприятия"},
            {"state_order": "бюджет", "paid": "коммерческое", "enterprise": "за счет предприятия"},
        ],
    },
    ("nobd_submission", "status"): {
        "kk": [{"studying": "оқиды", "academic_leave": "академиялық демалыс"}],
        "ru": [{"studying": "обучается", "academic_leave": "академический отпуск"}],
    },
    ("nobd_submission", "subject_area"): {
        "kk": [{"general": "жалпы білім беру", "professional": "кәсіптік"}],
        "ru": [{"general": "общеобразовательные", "professional": "профессиональные"}],
    },
    ("nobd_submission", "category"): {
        "kk": [
            {"teacher": "педагог", "industrial_master": "өндірістік оқыту шебері", "other": "басқа"}
        ],
        "ru": [
            {
                "teacher": "преподаватель",
                "industrial_master": "мастер производственного обучения",
                "other": "прочие",
            }
        ],
    },
    ("college_passport", "settlement_type"): {
        "kk": [{"urban": "қала", "rural": "ауыл"}],
        "ru": [{"urban": "город", "rural": "село"}],
    },
    ("college_passport", "ownership"): {
        "kk": [{"state": "мемлекеттік", "private": "жеке"}],
        "ru": [{"state": "государственная", "private": "частная"}],
    },
    ("worldskills_export", "event_type"): {
        "kk": [{"championship": "чемпионат", "demo_exam": "демонстрациялық емтихан"}],
        "ru": [{"championship": "чемпионат", "demo_exam": "демонстрационный экзамен"}],
    },
    ("worldskills_export", "level"): {
        "kk": [
            {
                "college": "колледжішілік",
                "regional": "өңірлік",
                "republican": "республикалық",
                "international": "халықаралық",
            }
        ],
        "ru": [
            {
                "college": "внутриколледжный",
                "regional": "региональный",
                "republican": "республиканский",
                "international": "международный",
            }
        ],
    },
    ("worldskills_export", "stream"): {
        lang: [
            {
                "worldskills": "WorldSkills",
                "abilympics": "Abilympics",
                "deafskills": "DeafSkills",
                "agroskills": "AgroSkills",
            }
        ]
        for lang in ("kk", "ru")
    },
    ("worldskills_export", "medal"): {
        "kk": [
            {
                "gold": "алтын",
                "silver": "күміс",
                "bronze": "қола",
                "medallion": "кәсіби шеберлік медальоны",
                "none": "жоқ",
            }
        ],
        "ru": [
            {
                "gold": "золото",
                "silver": "серебро",
                "bronze": "бронза",
                "medallion": "медальон",
                "none": "нет",
            }
        ],
    },
}

# Boolean spellings per language: (true, false) variants.
BOOLEAN_SPELLINGS: dict[str, list[tuple[str, str]]] = {
    "kk": [("иә", "жоқ"), ("Иә", "Жоқ")],
    "ru": [("да", "нет"), ("Да", "Нет"), ("1", "0")],
}


def boolean_spelling(lang: str, variant: int) -> tuple[str, str]:
    variants = BOOLEAN_SPELLINGS[lang]
    return variants[variant % len(variants)]


def check_spellings() -> list[str]:
    """Problems with the tables above against the contracts (empty list = all accepted)."""
    problems: list[str] = []
    for (source, column), by_lang in CODE_SPELLINGS.items():
        col = _column(source, column)
        accepted = col.value_spellings()
        for lang, variants in by_lang.items():
            for variant in variants:
                if set(variant) != set(col.allowed or {}):
                    problems.append(f"{source}.{column} {lang}: codes {sorted(variant)}")
                for code, spelling in variant.items():
                    if accepted.get(normalise_label(spelling)) != code:
                        problems.append(f"{source}.{column} {lang}: {spelling!r} is not {code}")
    booleans = boolean_spellings()
    for lang, pairs in BOOLEAN_SPELLINGS.items():
        for yes, no in pairs:
            if (
                booleans.get(normalise_label(yes)) is not True
                or booleans.get(normalise_label(no)) is not False
            ):
                problems.append(f"boolean {lang}: {yes}/{no}")
    return problems


def _column(source: str, column: str):  # noqa: ANN202 - contracts.Column
    for sheet in load_contract(source).sheets:
        for col in sheet.columns:
            if col.name == column:
                return col
    raise KeyError(f"{source}.{column}")
