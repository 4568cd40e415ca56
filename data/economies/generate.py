#!/usr/bin/env python3
"""Writes data/economies.toml, the economy registry compiled into tradepact.

It merges:
- ISO 3166-1 (current economies: alpha-3, alpha-2, numeric, short, official
  and common names) and ISO 3166-3 (former economies, by alpha-3 and name),
  as packaged by pycountry (pinned in requirements.txt beside this script);
- the hand-kept overlay (overlay.toml beside this script): the sources, the
  spellings and codes no file below gives, economies outside ISO 3166-1, and
  the groups with their membership periods;
- the spellings and codes the upstream sources use, read from the recorded
  upstream files in tests/fixtures/upstream/: UN Comtrade's reporter names
  and numeric codes, the IMF's names (CL_COUNTRY, CL_AREA_BOP) and every party
  name of the WTO's RTA list (the run fails if one of those cannot be mapped).

Every name is written with the sources that use it. The run fails when two
economies or groups would answer to the same name or code once normalised
(case, accents, punctuation and spaces ignored), so the registry stays
unambiguous.

Rerun from the repository root (data/FORMAT.md):

    python3 -m venv .venv
    .venv/bin/pip install -r data/economies/requirements.txt
    .venv/bin/python data/economies/generate.py

`--check` writes nothing and fails when data/economies.toml differs from what
the script would write (scripts/test runs it).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pycountry

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT / "tests" / "fixtures" / "upstream"

DEFAULTS = {
    "overlay": ROOT / "data" / "economies" / "overlay.toml",
    "wto": UPSTREAM / "wto" / "rtais_ExportAllRTAList__AllRTAs_sheet__2026-02-01.csv",
    "comtrade": UPSTREAM / "comtrade" / "reference_Reporters.json",
    "imf_country": UPSTREAM / "imf" / "api.imf.org_sdmx3_structure_codelist_IMF_CL_COUNTRY.json",
    "imf_bop": UPSTREAM / "imf" / "dataservices_CodeList_CL_AREA_BOP.json",
    "out": ROOT / "data" / "economies.toml",
}

ISO = "iso3166"
WTO = "wto-rtais"
COMTRADE = "comtrade-reporters"
IMF_COUNTRY = "imf-cl-country"
IMF_BOP = "imf-cl-area-bop"

DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def key(text: str) -> str:
    """The lookup key of a name or code; src/domain/registry.rs does the same.

    Compatibility decomposition, combining marks dropped, lower case, '&' read
    as 'and', only letters and digits kept; a number loses its leading zeros.
    """
    kept = ""
    for ch in unicodedata.normalize("NFKD", text):
        if ch == "&":
            kept += "and"
        elif not unicodedata.combining(ch) and ch.isalnum():
            kept += ch.lower()
    if kept.isascii() and kept.isdigit():
        kept = kept.lstrip("0") or "0"
    return kept


class RegistryError(Exception):
    pass


@dataclass
class Entity:
    code: str
    kind: str  # iso | other | former | group
    name: str
    iso2: str | None = None
    numeric: str | None = None
    official_name: str | None = None
    withdrawn: str | None = None
    note: str | None = None
    sources: list[str] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=dict)
    codes: dict[str, list[str]] = field(default_factory=dict)
    members: list[dict] = field(default_factory=list)
    name_notes: dict[str, str] = field(default_factory=dict)

    def add_name(self, name: str, source: str, note: str | None = None) -> None:
        name = " ".join(name.split())
        if not name:
            return
        sources = self.names.setdefault(name, [])
        if source not in sources:
            sources.append(source)
        if note:
            self.name_notes[name] = note

    def add_code(self, code: str, source: str) -> None:
        sources = self.codes.setdefault(code, [])
        if source not in sources:
            sources.append(source)


class Registry:
    def __init__(self, overlay: dict):
        self.sources = {s["key"]: s for s in overlay.get("sources", [])}
        self.entities: dict[str, Entity] = {}

    def add(self, entity: Entity) -> None:
        if entity.code in self.entities:
            raise RegistryError(f"code {entity.code} is declared twice")
        self.entities[entity.code] = entity

    def check_source(self, source: str, where: str) -> str:
        if source not in self.sources:
            raise RegistryError(f"{where}: source '{source}' is not declared in [[sources]]")
        return source

    def economy(self, code: str, where: str) -> Entity:
        entity = self.entities.get(code)
        if entity is None:
            raise RegistryError(f"{where}: no economy or group has the code {code}")
        return entity

    def by_iso2(self) -> dict[str, Entity]:
        return {e.iso2: e for e in self.entities.values() if e.iso2}


def add_iso(registry: Registry) -> None:
    for country in pycountry.countries:
        entity = Entity(
            code=country.alpha_3,
            kind="iso",
            name=country.name,
            iso2=country.alpha_2,
            numeric=country.numeric,
            official_name=getattr(country, "official_name", None),
            sources=[ISO],
        )
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                entity.add_name(value, ISO)
        registry.add(entity)


def add_former(registry: Registry) -> None:
    """ISO 3166-3 economies, by alpha-3 and name only: their alpha-2 and
    numeric codes were often given again to other economies."""
    seen: set[str] = set()
    for country in pycountry.historic_countries:
        code = country.alpha_3
        if code in registry.entities or code in seen:
            continue
        seen.add(code)
        entity = Entity(
            code=code,
            kind="former",
            name=country.name,
            withdrawn=getattr(country, "withdrawal_date", None),
            sources=[ISO],
        )
        entity.add_name(country.name, ISO)
        registry.add(entity)


def add_overlay(registry: Registry, overlay: dict) -> None:
    for source in registry.sources.values():
        for required in ("key", "title", "publisher"):
            if not source.get(required):
                raise RegistryError(f"source {source.get('key')!r} has no {required}")
    for row in overlay.get("economies", []):
        where = f"economy {row['code']}"
        entity = Entity(
            code=row["code"],
            kind="other",
            name=row["name"],
            iso2=row.get("iso2"),
            note=row.get("note"),
            sources=[registry.check_source(s, where) for s in row["sources"]],
        )
        # The first source is the short name's.
        entity.add_name(row["name"], entity.sources[0])
        registry.add(entity)
    for row in overlay.get("groups", []):
        where = f"group {row['code']}"
        entity = Entity(
            code=row["code"],
            kind="group",
            name=row["name"],
            note=row.get("note"),
            sources=[registry.check_source(s, where) for s in row["sources"]],
        )
        if not entity.sources:
            raise RegistryError(f"{where} cites no source")
        for name in row.get("names", []):
            entity.add_name(name["name"], registry.check_source(name["source"], where))
        for code in row.get("codes", []):
            entity.add_code(code["code"], registry.check_source(code["source"], where))
        for member in row["members"]:
            entity.members.append(check_member(registry, where, member))
        registry.add(entity)
    for row in overlay.get("names", []):
        where = f"name {row['name']!r}"
        entity = registry.economy(row["code"], where)
        entity.add_name(row["name"], registry.check_source(row["source"], where), row.get("note"))
    for row in overlay.get("codes", []):
        where = f"code {row['code']!r}"
        entity = registry.economy(row["economy"], where)
        entity.add_code(row["code"], registry.check_source(row["source"], where))


def check_member(registry: Registry, where: str, member: dict) -> dict:
    code = member["code"]
    entity = registry.economy(code, where)
    if entity.kind not in ("iso", "other"):
        raise RegistryError(f"{where}: member {code} is not a current economy")
    for bound in ("from", "to"):
        value = member.get(bound)
        if value is not None and not DATE.match(value):
            raise RegistryError(f"{where}: {code} {bound} '{value}' is not YYYY, YYYY-MM or YYYY-MM-DD")
    if "from" not in member:
        raise RegistryError(f"{where}: {code} has no 'from' date")
    if "to" in member and member["to"] < member["from"]:
        raise RegistryError(f"{where}: {code} leaves ({member['to']}) before it joins ({member['from']})")
    for source in member.get("sources", []):
        registry.check_source(source, where)
    unknown = set(member) - {"code", "from", "to", "note", "sources"}
    if unknown:
        raise RegistryError(f"{where}: {code} has unknown fields {sorted(unknown)}")
    return member


def add_comtrade(registry: Registry, path: Path) -> None:
    """Reporter names and Comtrade's own numeric codes (842 for the USA) of
    the reporters in use today; the entries of former reporters ("...1990")
    are left out, their codes cover other territories than today's."""
    reporters = json.loads(path.read_text(encoding="utf-8"))["results"]
    group_codes = {
        code: entity
        for entity in registry.entities.values()
        for code, sources in entity.codes.items()
        if COMTRADE in sources
    }
    for reporter in reporters:
        if reporter.get("entryExpiredDate"):
            continue
        number = str(reporter["reporterCode"])
        if reporter["isGroup"]:
            entity = group_codes.get(number)
            if entity is not None:
                entity.add_name(reporter["text"], COMTRADE)
            continue
        entity = registry.entities.get(reporter["reporterCodeIsoAlpha3"])
        if entity is None or entity.kind != "iso":
            continue
        entity.add_name(reporter["text"], COMTRADE)
        if int(number) != int(entity.numeric):
            entity.add_code(number, COMTRADE)


def add_imf(registry: Registry, country_path: Path, bop_path: Path) -> None:
    codelist = json.loads(country_path.read_text(encoding="utf-8"))
    aliases = {
        code: entity
        for entity in registry.entities.values()
        for code, sources in entity.codes.items()
        if IMF_COUNTRY in sources
    }
    for row in codelist["data"]["codelists"][0]["codes"]:
        entity = registry.entities.get(row["id"]) or aliases.get(row["id"])
        if entity is not None:
            entity.add_name(row["name"], IMF_COUNTRY)
    by_iso2 = registry.by_iso2()
    bop = json.loads(bop_path.read_text(encoding="utf-8"))
    for row in bop["Structure"]["CodeLists"]["CodeList"]["Code"]:
        entity = by_iso2.get(row["@value"])
        if entity is not None:
            entity.add_name(row["Description"]["#text"], IMF_BOP)


def add_wto(registry: Registry, path: Path) -> None:
    """Cites the WTO on every spelling its RTA list uses for a party; a
    spelling no economy or group has yet must be given in the overlay."""
    by_name: dict[str, list[Entity]] = {}
    for entity in registry.entities.values():
        for name in entity.names:
            by_name.setdefault(name, []).append(entity)
    missing = set()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for column in ("Current signatories", "Original signatories"):
                for party in row[column].split(";"):
                    party = " ".join(party.split())
                    if not party:
                        continue
                    matches = by_name.get(party, [])
                    current = [e for e in matches if e.kind != "former"]
                    chosen = current or matches
                    if len(chosen) != 1:
                        missing.add(party)
                        continue
                    chosen[0].add_name(party, WTO)
    if missing:
        listed = "\n  ".join(sorted(missing))
        raise RegistryError(
            "WTO party names that match no single economy or group; add them to "
            f"overlay.toml as [[names]] with source = \"{WTO}\":\n  {listed}"
        )


def index(registry: Registry) -> list[str]:
    """Checks that every key answers to one economy or group. Former
    economies give way: a name of theirs that a current one also answers to
    is dropped. Returns warnings."""
    claims: dict[str, str] = {}
    warnings = []

    def claim(text: str, entity: Entity, what: str) -> bool:
        k = key(text)
        if not k:
            raise RegistryError(f"{entity.code}: {what} '{text}' has no letters or digits")
        holder = claims.get(k)
        if holder is None or holder == entity.code:
            claims[k] = entity.code
            return True
        if entity.kind == "former":
            warnings.append(f"former {entity.code}: {what} '{text}' dropped, {holder} answers to it")
            return False
        raise RegistryError(f"{what} '{text}' of {entity.code} is already {holder}'s (key '{k}')")

    ordered = sorted(registry.entities.values(), key=lambda e: e.kind == "former")
    for entity in ordered:
        claim(entity.code, entity, "code")
    for entity in ordered:
        if entity.iso2:
            claim(entity.iso2, entity, "alpha-2 code")
        if entity.numeric:
            claim(entity.numeric, entity, "numeric code")
    for entity in ordered:
        for code in entity.codes:
            claim(code, entity, "code")
    for entity in ordered:
        for name in list(entity.names):
            if not claim(name, entity, "name"):
                del entity.names[name]
    return warnings


def toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def toml_list(values: list[str]) -> str:
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def render(registry: Registry) -> str:
    lines = [
        "# The economy registry: GENERATED by data/economies/generate.py from",
        f"# pycountry {pycountry_version()} (ISO 3166), data/economies/overlay.toml and the",
        "# recorded upstream files it names. Do not edit: edit the overlay and rerun",
        "# (data/FORMAT.md). Compiled into tradepact (src/domain/registry.rs).",
        "",
        "format = 1",
        f"pycountry = {toml_string(pycountry_version())}",
        "",
    ]
    for source in registry.sources.values():
        lines.append("[[sources]]")
        for field_name in ("key", "title", "publisher", "url", "retrieved"):
            if source.get(field_name):
                lines.append(f"{field_name} = {toml_string(source[field_name])}")
        lines.append("")
    kinds = {"iso": 0, "other": 1, "former": 2}
    economies = sorted(
        (e for e in registry.entities.values() if e.kind != "group"),
        key=lambda e: (kinds[e.kind], e.code),
    )
    for entity in economies:
        lines.append("[[economies]]")
        lines.append(f"code = {toml_string(entity.code)}")
        lines.append(f"kind = {toml_string(entity.kind)}")
        for field_name in ("iso2", "numeric", "name", "official_name", "withdrawn", "note"):
            value = getattr(entity, field_name)
            if value:
                lines.append(f"{field_name} = {toml_string(value)}")
        lines.append(f"sources = {toml_list(entity.sources)}")
        write_names_and_codes(lines, entity)
        lines.append("")
    for entity in (e for e in registry.entities.values() if e.kind == "group"):
        lines.append("[[groups]]")
        lines.append(f"code = {toml_string(entity.code)}")
        lines.append(f"name = {toml_string(entity.name)}")
        lines.append(f"note = {toml_string(entity.note or '')}")
        lines.append(f"sources = {toml_list(entity.sources)}")
        write_names_and_codes(lines, entity)
        lines.append("members = [")
        for member in entity.members:
            parts = [f"code = {toml_string(member['code'])}", f"from = {toml_string(member['from'])}"]
            if member.get("to"):
                parts.append(f"to = {toml_string(member['to'])}")
            if member.get("note"):
                parts.append(f"note = {toml_string(member['note'])}")
            if member.get("sources"):
                parts.append(f"sources = {toml_list(member['sources'])}")
            lines.append("  { " + ", ".join(parts) + " },")
        lines.append("]")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def write_names_and_codes(lines: list[str], entity: Entity) -> None:
    lines.append("names = [")
    for name, sources in entity.names.items():
        note = entity.name_notes.get(name)
        extra = f", note = {toml_string(note)}" if note else ""
        lines.append(f"  {{ name = {toml_string(name)}, sources = {toml_list(sources)}{extra} }},")
    lines.append("]")
    if entity.codes:
        lines.append("codes = [")
        for code, sources in entity.codes.items():
            lines.append(f"  {{ code = {toml_string(code)}, sources = {toml_list(sources)} }},")
        lines.append("]")


def pycountry_version() -> str:
    from importlib.metadata import version

    return version("pycountry")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, default in DEFAULTS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=Path, default=default)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; fail when the output file is not what this run would write",
    )
    args = parser.parse_args(argv)
    overlay = tomllib.loads(args.overlay.read_text(encoding="utf-8"))
    registry = Registry(overlay)
    try:
        add_iso(registry)
        add_former(registry)
        add_overlay(registry, overlay)
        add_comtrade(registry, args.comtrade)
        add_imf(registry, args.imf_country, args.imf_bop)
        add_wto(registry, args.wto)
        warnings = index(registry)
    except RegistryError as error:
        print(f"generate.py: {error}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"note: {warning}", file=sys.stderr)
    text = render(registry)
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(
                f"generate.py: {shown} is not what data/economies/generate.py writes; "
                "edit data/economies/overlay.toml, not the output, and rerun the script",
                file=sys.stderr,
            )
            return 1
        print(f"{shown} is up to date")
        return 0
    args.out.write_text(text, encoding="utf-8")
    counts: dict[str, int] = {}
    for entity in registry.entities.values():
        counts[entity.kind] = counts.get(entity.kind, 0) + 1
    print(
        f"wrote {shown}: "
        f"{counts.get('iso', 0)} ISO 3166-1 economies, {counts.get('other', 0)} other, "
        f"{counts.get('former', 0)} former, {counts.get('group', 0)} groups"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
