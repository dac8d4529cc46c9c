"""The rule catalogue (docs/ARCHITECTURE.md "Rule catalogue"): ids, families, severities and the
Kazakh and Russian messages that reach the regions.

The ids are shared with the generator's manifest; the suites in `expectations/` carry these
fields in every expectation's `meta` (see `build_suites`), so the runner and the marts read the
wording from the suites, never from here directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["blocking", "warning"]

# Suite families: the part of a suite's name after the source (`nobd_submission.domain`).
FAMILIES = ("structure", "identifiers", "domain", "logic", "cross_source", "temporal")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    family: str
    severity: Severity
    message_kk: str
    message_ru: str


def _r(rule_id: str, family: str, severity: Severity, kk: str, ru: str) -> Rule:
    return Rule(rule_id, family, severity, kk, ru)


RULES: dict[str, Rule] = {
    r.rule_id: r
    for r in (
        _r(
            "structure.unreadable_file",
            "structure",
            "blocking",
            "Файл оқылмайды (жұмыс кітабы бүлінген немесе толық емес)",
            "Файл не читается (книга повреждена или неполная)",
        ),
        _r("structure.empty_file", "structure", "blocking", "Файл бос", "Файл пустой"),
        _r(
            "structure.bad_encoding",
            "structure",
            "blocking",
            "Мәтін кодтауы UTF-8 те, Windows-1251 де емес",
            "Кодировка текста не UTF-8 и не Windows-1251",
        ),
        _r(
            "structure.missing_sheet",
            "structure",
            "blocking",
            "Міндетті парақ (бөлім) жоқ",
            "Отсутствует обязательный лист (раздел)",
        ),
        _r(
            "structure.missing_column",
            "structure",
            "blocking",
            "Міндетті баған жоқ",
            "Отсутствует обязательный столбец",
        ),
        _r(
            "identifiers.iin_checksum",
            "identifiers",
            "blocking",
            "ЖСН бақылау цифры қате",
            "Неверная контрольная цифра ИИН",
        ),
        _r(
            "identifiers.bin_checksum",
            "identifiers",
            "blocking",
            "БСН бақылау цифры қате",
            "Неверная контрольная цифра БИН",
        ),
        _r(
            "identifiers.unknown_region",
            "identifiers",
            "blocking",
            "Өңір анықтамалықта жоқ",
            "Регион отсутствует в справочнике",
        ),
        _r(
            "identifiers.unknown_specialty",
            "identifiers",
            "blocking",
            "Мамандық коды жіктеуіште жоқ",
            "Код специальности отсутствует в классификаторе",
        ),
        _r(
            "identifiers.unknown_qualification",
            "identifiers",
            "blocking",
            "Біліктілік коды жіктеуіште жоқ",
            "Код квалификации отсутствует в классификаторе",
        ),
        _r(
            "domain.allowed_values",
            "domain",
            "blocking",
            "Мән рұқсат етілген мәндер тізімінде жоқ",
            "Значение не входит в список допустимых",
        ),
        _r(
            "domain.range",
            "domain",
            "blocking",
            "Мән рұқсат етілген ауқымнан тыс",
            "Значение вне допустимого диапазона",
        ),
        _r(
            "domain.required_value",
            "domain",
            "blocking",
            "Міндетті өріс толтырылмаған",
            "Не заполнено обязательное поле",
        ),
        _r(
            "logic.kazakh_copies_exceed_total",
            "logic",
            "blocking",
            "Қазақ тіліндегі оқулықтар данасы барлық данадан көп",
            "Экземпляров учебников на казахском языке больше, чем всего",
        ),
        _r(
            "logic.dual_without_enterprise",
            "logic",
            "blocking",
            "Дуальды оқытудағы білім алушының кәсіпорын БСН-і көрсетілмеген",
            "Для обучающегося по дуальной системе не указан БИН предприятия",
        ),
        _r(
            "logic.age_implausible",
            "logic",
            "warning",
            "Есепті күнгі жасы нанымсыз (14-тен кіші немесе 60-тан үлкен)",
            "Неправдоподобный возраст на отчётную дату (меньше 14 или больше 60 лет)",
        ),
        _r(
            "logic.duplicate_student_in_submission",
            "logic",
            "blocking",
            "Бір білім алушы тапсырыста бірнеше рет көрсетілген",
            "Обучающийся указан в отчёте несколько раз",
        ),
        _r(
            "logic.duplicate_student_across_colleges",
            "logic",
            "blocking",
            "Білім алушы осы кезеңде бірнеше колледжде көрсетілген",
            "Обучающийся указан в этом периоде в нескольких колледжах",
        ),
        _r(
            "cross.contingent_exceeds_capacity",
            "cross_source",
            "warning",
            "Білім алушылар саны паспорттағы жобалық қуаттан 1,2 еседен артық",
            "Численность обучающихся превышает проектную мощность по паспорту более чем в 1,2 раза",
        ),
        _r(
            "cross.demo_exam_claim_without_result",
            "cross_source",
            "warning",
            "Паспортта демонстрациялық емтихан өткізілді делінген, бірақ CIS-те нәтижесі жоқ",
            "В паспорте указан демонстрационный экзамен, но в CIS нет его результатов",
        ),
        _r(
            "cross.ws_college_not_in_register",
            "cross_source",
            "warning",
            "CIS нәтижесіндегі колледж осы жылғы колледждер тізілімінде жоқ",
            "Колледж из результатов CIS отсутствует в реестре колледжей этого года",
        ),
        _r(
            "temporal.enrolment_change",
            "temporal",
            "warning",
            "Білім алушылар саны алдыңғы кезеңмен салыстырғанда 40%-дан астам өзгерген",
            "Численность обучающихся изменилась более чем на 40% к предыдущему периоду",
        ),
    )
}

STRUCTURE_RULES = tuple(r for r in RULES if RULES[r].family == "structure")
