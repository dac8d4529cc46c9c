"""Everything done to one file before the writer sees it: parse, registry row, lineage.

Runs in a worker (process or thread); pure with respect to the warehouse. The raw bytes and
cell text never leave this step: what comes back holds IIN hashes, not IINs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pipelines.contracts import Contract, load_contract
from pipelines.identifiers import mask_iins
from pipelines.ingest.cells import CHUNK_BYTES, Rejected
from pipelines.ingest.discovery import LandingFile
from pipelines.ingest.pseudonym import Pseudonymiser
from pipelines.ingest.readers import ParsedFile, parse, parse_many
from pipelines.ingest.registration import Registration, add_lineage
from pipelines.ingest.registry import NOBD

log = logging.getLogger("edustat.ingest")


@dataclass(frozen=True)
class Task:
    """One new file version to read (picklable: sent to worker processes)."""

    source: str
    partition_key: str
    file: LandingFile
    sha256: str
    file_id: str
    data: bytes


@dataclass(frozen=True)
class Prepared:
    file: LandingFile
    reg: Registration
    parsed: ParsedFile | None  # None: rejected
    rejected: Rejected | None = None

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.parsed.sheets) if self.parsed else 0


def prepare(task: Task, ps: Pseudonymiser) -> Prepared:
    return prepare_many([task], ps)[0]


def prepare_many(
    tasks: list[Task], ps: Pseudonymiser, chunk_bytes: int | None = CHUNK_BYTES
) -> list[Prepared]:
    """Several files of one partition: their sheets are typed together (readers.parse_many),
    which costs one polars query per sheet for all of them instead of several per file. Sheets
    larger than `chunk_bytes` are read in chunks (the loader removes their spill folders)."""
    contract = load_contract(tasks[0].source)
    outcomes: list[tuple[ParsedFile | None, Rejected | None]] = [
        (None, _name_rejection(contract, t.file.path)) for t in tasks
    ]
    readable = [i for i, (_, rejected) in enumerate(outcomes) if rejected is None]
    try:
        files = [(tasks[i].data, tasks[i].file.path) for i in readable]
        for i, r in zip(readable, parse_many(contract, files, ps, chunk_bytes), strict=True):
            outcomes[i] = (None, r) if isinstance(r, Rejected) else (r, None)
    except Exception:  # a reader bug must cost only the file that meets it: each one alone
        for i in readable:
            outcomes[i] = _parse(contract, tasks[i], ps)
    prepared = []
    for task, (parsed, rejected) in zip(tasks, outcomes, strict=True):
        reg = registration(contract, task, parsed, rejected)
        if parsed is not None:
            add_lineage(parsed, reg)
        prepared.append(Prepared(task.file, reg, parsed, rejected))
    return prepared


def _name_rejection(contract: Contract, path: str) -> Rejected | None:
    if contract.match_file(path.rsplit("/", 1)[-1]) is not None:
        return None
    pattern = contract.landing_dir + "/" + contract.file_name
    return Rejected(
        "structure.unreadable_file",
        path,
        f"file name does not follow {pattern} (the content was not read)",
        kk=f"файл атауы {pattern} үлгісіне сәйкес емес (мазмұны оқылған жоқ)",
        ru=f"имя файла не соответствует шаблону {pattern} (содержимое не читалось)",
    )


def _parse(
    contract: Contract, task: Task, ps: Pseudonymiser
) -> tuple[ParsedFile | None, Rejected | None]:
    path = task.file.path
    try:
        return parse(contract, task.data, path, ps), None
    except Rejected as rej:
        return None, rej
    except Exception as exc:  # a reader bug must not stop the round; the type name is safe to show
        log.warning("cannot read %s (%s)", mask_iins(path), type(exc).__name__)
        return None, Rejected(
            "structure.unreadable_file",
            path,
            "file cannot be read",
            kk="файлды оқу мүмкін болмады",
            ru="файл не удалось прочитать",
        )


def registration(
    contract: Contract, task: Task, parsed: ParsedFile | None, rejected: Rejected | None
) -> Registration:
    """The registry row. The owner is decided here, once: the college and round of the file
    name (an NOBD file is filed under them); what the header says is kept beside it, for the
    identity rules (docs/ARCHITECTURE.md "Acceptance policy")."""
    fields = contract.match_file(task.file.path.rsplit("/", 1)[-1]) or {}
    version = int(fields["version"]) if fields.get("version") else None
    header_bin = header_round = signed_at = None
    if parsed is not None and contract.source == NOBD:
        header = parsed.sheet("header")
        if header is not None and header.frame.height:
            first = header.frame.row(0, named=True)
            header_bin, header_round = first.get("college_bin"), first.get("round_id")
            signed_at = first.get("signed_at")
    return Registration(
        file_id=task.file_id,
        path=task.file.path,
        source=contract.source,
        partition_key=task.partition_key,
        sha256=task.sha256,
        size_bytes=task.file.size,
        status="rejected" if rejected else "loaded",
        reason=rejected.reason if rejected else None,
        reason_rule=rejected.rule if rejected else None,
        reason_kk=rejected.reason_kk if rejected else None,
        reason_ru=rejected.reason_ru if rejected else None,
        reason_sheet=rejected.sheet if rejected else None,
        reason_field=rejected.field if rejected else None,
        college_bin=fields.get("college_bin"),
        name_round_id=fields.get("round_id"),
        header_college_bin=header_bin,
        header_round_id=header_round,
        signed_at=signed_at,
        version=version,
    )
