"""The rule catalogue (docs/ARCHITECTURE.md "Rule catalogue"): ids, families, severities and the
Kazakh and Russian messages that reach the regions.

The ids are shared with the generator's manifest; the suites in `expectations/` carry these
fields in every expectation's `meta` (see `build_suites`), so the runner and the marts read the
wording from the suites, never from here directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# What a failed rule costs (docs/ARCHITECTURE.md "Acceptance policy"): `reject` the file (it
# cannot be read), `hold` the submission (it cannot be trusted as a whole; the previous accepted
# version stays current), `quarantine` the row (left out of facts and indicators, the rest
# counts), `warning` (reported, nothing excluded).
Severity = Literal["reject", "hold", "quarantine", "warning"]
SEVERITIES: tuple[Severity, ...] = ("reject", "hold", "quarantine", "warning")


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
            "reject",
            "Файл оқылмайды (жұмыс кітабы бүлінген немесе толық емес)",
            "Файл не читается (книга повреждена или неполная)",
        ),
        _r("structure.empty_file", "structure", "reject", "Файл бос", "Файл пустой"),
        _r(
            "structure.bad_encoding",
            "structure",
            "reject",
            "Мәтін кодтауы UTF-8 те, Windows-1251 де емес",
            "Кодировка текста не UTF-8 и не Windows-1251",
        ),
        _r(
            "structure.missing_sheet",
            "structure",
            "reject",
            "Міндетті парақ (бөлім) жоқ",
            "Отсутствует обязательный лист (раздел)",
        ),
        _r(
            "structure.missing_column",
            "structure",
            "reject",
            "Міндетті баған жоқ",
            "Отсутствует обязательный столбец",
        ),
        _r(
            "structure.conflicting_sheets",
            "structure",
            "reject",
            "Бір бөлімге арналған екі парақтың бағандары әртүрлі",
            "Два листа одного раздела имеют разные столбцы",
        ),
        _r(
            "identifiers.iin_checksum",
            "identifiers",
            "quarantine",
            "ЖСН бақылау цифры қате",
            "Неверная контрольная цифра ИИН",
        ),
        _r(
            "identifiers.bin_checksum",
            "identifiers",
            "quarantine",
            "БСН бақылау цифры қате",
            "Неверная контрольная цифра БИН",
        ),
        _r(
            "identifiers.iin_outside_iin_column",
            "identifiers",
            "warning",
            "ЖСН ЖСН-ге арналмаған бағанда тұр (тақырыптар ауысқан болуы мүмкін); мән жасырылды",
            "ИИН указан в столбце, не предназначенном для ИИН (возможно, перепутаны заголовки); "
            "значение скрыто",
        ),
        _r(
            "identifiers.iin_in_bin_column",
            "identifiers",
            "quarantine",
            "БСН бағанында жеке тұлғаның ЖСН-і тұр; мән жасырылды",
            "В столбце БИН указан ИИН физического лица; значение скрыто",
        ),
        _r(
            "identifiers.unknown_region",
            "identifiers",
            "warning",
            "Өңір анықтамалықта жоқ",
            "Регион отсутствует в справочнике",
        ),
        _r(
            "identifiers.unknown_specialty",
            "identifiers",
            "quarantine",
            "Мамандық коды жіктеуіште жоқ",
            "Код специальности отсутствует в классификаторе",
        ),
        _r(
            "identifiers.unknown_qualification",
            "identifiers",
            "quarantine",
            "Біліктілік коды жіктеуіште жоқ",
            "Код квалификации отсутствует в классификаторе",
        ),
        _r(
            "domain.allowed_values",
            "domain",
            "quarantine",
            "Мән рұқсат етілген мәндер тізімінде жоқ",
            "Значение не входит в список допустимых",
        ),
        _r(
            "domain.range",
            "domain",
            "quarantine",
            "Мән рұқсат етілген ауқымнан тыс",
            "Значение вне допустимого диапазона",
        ),
        _r(
            "domain.required_value",
            "domain",
            "quarantine",
            "Міндетті өріс толтырылмаған",
            "Не заполнено обязательное поле",
        ),
        _r(
            "logic.kazakh_copies_exceed_total",
            "logic",
            "quarantine",
            "Қазақ тіліндегі оқулықтар данасы барлық данадан көп",
            "Экземпляров учебников на казахском языке больше, чем всего",
        ),
        _r(
            "logic.dual_without_enterprise",
            "logic",
            "quarantine",
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
            "quarantine",
            "Бір білім алушы тапсырыста бірнеше рет көрсетілген",
            "Обучающийся указан в отчёте несколько раз",
        ),
        _r(
            "logic.duplicate_student_across_colleges",
            "logic",
            "warning",
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
        _r(
            "identity.bin_mismatch",
            "identity",
            "hold",
            "Файл атауындағы БСН мен тақырыптағы БСН сәйкес келмейді (мәні: файл атауы ≠ тақырып)",
            "БИН в имени файла и БИН в заголовке не совпадают (значение: имя файла ≠ заголовок)",
        ),
        _r(
            "identity.round_mismatch",
            "identity",
            "hold",
            "Жинау кезеңі әртүрлі (мәні: файл атауы | тақырып | қалта)",
            "Период сбора различается (значение: имя файла | заголовок | папка)",
        ),
        _r(
            "identity.header_rows",
            "identity",
            "hold",
            "Тақырып парағында бір жолдан артық бар",
            "На листе заголовка больше одной строки",
        ),
        _r(
            "submission.defective_rows",
            "submission",
            "hold",
            "Парақтағы ақаулы жолдар шектен көп: қате жүйелі (мысалы, ЖСН сан ретінде енгізілген)",
            "Доля ошибочных строк листа выше порога: ошибка систематическая "
            "(например, ИИН введены как числа)",
        ),
        _r(
            "cross.contingent_implausible",
            "cross_source",
            "hold",
            "Білім алушылар саны паспорттағы қуаттан немесе алдыңғы кезеңнен 3 еседен артық",
            "Численность обучающихся более чем в 3 раза превышает мощность по паспорту "
            "или предыдущий период",
        ),
        _r(
            "identifiers.ambiguous_region",
            "identifiers",
            "warning",
            "Өңір атауы бірмәнді емес (бірнеше өңірге сәйкес келеді), өңір белгісіз деп алынды",
            "Название региона неоднозначно (подходит нескольким регионам), регион считается "
            "неизвестным",
        ),
        _r(
            "identifiers.region_not_yet_established",
            "identifiers",
            "warning",
            "Бұл өңір паспорт күнінде әлі құрылмаған (8 маусым 2022 жылға дейін)",
            "Этот регион на дату паспорта ещё не образован (до 8 июня 2022 года)",
        ),
        _r(
            "identifiers.passport_conflict",
            "identifiers",
            "warning",
            "Паспортта бір БСН әртүрлі мәндермен бірнеше рет көрсетілген",
            "В паспорте один БИН указан несколько раз с разными значениями",
        ),
        # Answers of a region to its findings (sources/contracts/dq_response.yml): a defective
        # answer row is not applied; the finding keeps its state.
        _r(
            "response.no_response",
            "response",
            "quarantine",
            "Түсіндірме бар, бірақ жауап таңдалмаған",
            "Пояснение есть, но ответ не выбран",
        ),
        _r(
            "response.unknown_finding",
            "response",
            "quarantine",
            "Мұндай кодпен ақау берілмеген (код өзгертілген немесе бос)",
            "Замечание с таким кодом не выдавалось (код изменён или пуст)",
        ),
        _r(
            "response.other_region",
            "response",
            "quarantine",
            "Жауап басқа өңірдің ақауына берілген",
            "Ответ дан на замечание другого региона",
        ),
        _r(
            "response.needs_correction",
            "response",
            "quarantine",
            "Бұл ақауды тек түзетілген деректер жояды: оны растауға болмайды",
            "Это замечание снимается только исправлением данных: подтвердить его нельзя",
        ),
    )
}

STRUCTURE_RULES = tuple(r for r in RULES if RULES[r].family == "structure")

# Share of a sheet's rows that may be quarantined before the fault counts as systematic and the
# submission is held back (submission.defective_rows); a single defective row never holds.
DEFECTIVE_ROWS_SHARE = 0.05
# Students above this multiple of the passport capacity or of the previous round's accepted count
# hold the submission back (cross.contingent_implausible); milder excess only warns.
IMPLAUSIBLE_FACTOR = 3.0


def severity(rule_id: str, source: str, sheet: str | None) -> Severity:
    """The cost of one failed rule where it fails. A row rule on the NOBD header holds the whole
    submission: the header is the submission's identity, there is no "rest" to keep."""
    rule = RULES[rule_id]
    if rule.severity == "quarantine" and source == "nobd_submission" and sheet == "header":
        return "hold"
    return rule.severity
