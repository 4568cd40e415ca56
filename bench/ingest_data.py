"""Comtrade-shaped answers for bench/ingest, and the same rows as CSV.

One reporter (KOR, M49 410) trades with ~230 partners (the built-in
economies) in HS6 lines over five complete years and two flows. Lines per
partner are skewed (a few partners trade in thousands of subheadings, most
in a few hundred), and every (year, flow) holds the same share of the total.

Written to OUT:
  reporters.json        the reference list the adapter maps ISO3 codes with
  totals/<year>.json    the all-partner TOTAL answer of each year (X and M)
  lines/<year>/<flow>/<code>.json
                        one partner's HS6 records, comma-joined: the server
                        splices the ones a request names into one answer
  index.json            record count and byte size of every splice piece
  rows.csv              the rows tradepact stores for all of it, in the
                        order it stages them, for `sqlite3 .import`

Records have the 47 fields of a real keyed answer with includeDesc=true
(~1 KB each), as in tests/fixtures/upstream/comtrade.
"""

import argparse
import datetime
import json
import random
import tomllib
from pathlib import Path

REPORTER = ("KOR", 410, "Rep. of Korea")
PARTNERS = 230
HS6_CODES = 5300
WORDS = (
    "live animals meat fish crustaceans dairy produce vegetables fruit coffee tea cereals "
    "oils fats sugar cocoa beverages tobacco salt cement ores fuels chemicals pharmaceutical "
    "fertilisers dyes perfumes soap explosives plastics rubber leather wood paper textiles "
    "cotton wool yarn fabrics apparel footwear glass pearls iron steel copper aluminium tools "
    "machinery boilers electrical equipment vehicles aircraft ships optical instruments "
    "clocks musical furniture toys arms other parts accessories thereof not elsewhere specified"
).split()

RECORD = (
    '{{"typeCode":"C","freqCode":"A","refPeriodId":{year}0101,"refYear":{year},"refMonth":52,'
    '"period":"{year}","reporterCode":410,"reporterISO":"KOR","reporterDesc":"Rep. of Korea",'
    '"flowCode":"{flow}","flowDesc":"{flow_desc}","partnerCode":{partner},"partnerISO":"{iso}",'
    '"partnerDesc":"{partner_desc}","partner2Code":0,"partner2ISO":"W00","partner2Desc":"World",'
    '"classificationCode":"H6","classificationSearchCode":"HS","isOriginalClassification":true,'
    '"cmdCode":"{cmd}","cmdDesc":"{cmd_desc}","aggrLevel":{level},"isLeaf":{leaf},'
    '"customsCode":"C00","customsDesc":"TOTAL CPC","mosCode":"0","motCode":0,"motDesc":"TOTAL MOT",'
    '"qtyUnitCode":8,"qtyUnitAbbr":"kg","qty":{qty},"isQtyEstimated":false,"altQtyUnitCode":-1,'
    '"altQtyUnitAbbr":"N/A","altQty":null,"isAltQtyEstimated":false,"netWgt":{qty},'
    '"isNetWgtEstimated":false,"grossWgt":null,"isGrossWgtEstimated":false,"cifvalue":{cif},'
    '"fobvalue":{fob},"primaryValue":{value},"legacyEstimationFlag":0,"isReported":true,'
    '"isAggregate":false}}'
)


def json_text(text: str) -> str:
    return json.dumps(text)[1:-1]


def hs_codes(rng: random.Random) -> list[tuple[str, str]]:
    """HS6 subheadings with descriptions of realistic length."""
    codes = set()
    while len(codes) < HS6_CODES:
        chapter = rng.randint(1, 97)
        codes.add(f"{chapter:02d}{rng.randint(1, 99):02d}{rng.randint(10, 99):02d}")
    out = []
    for code in sorted(codes):
        words = rng.sample(WORDS, rng.randint(6, 14))
        out.append((code, f"{code[:4]}.{code[4:]} - " + " ".join(words).capitalize()))
    return out


def line_counts(rng: random.Random, partners: int, total: int, most: int) -> list[int]:
    """`total` lines over `partners`, skewed, each between 1 and `most`."""
    weights = [1.0 / (rank + 8) ** 0.9 for rank in range(partners)]
    rng.shuffle(weights)
    scale = total / sum(weights)
    counts = [max(1, min(most, int(w * scale))) for w in weights]
    index = 0
    while sum(counts) != total:
        step = 1 if sum(counts) < total else -1
        if 1 <= counts[index] + step <= most:
            counts[index] += step
        index = (index + 1) % partners
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partners-per-request", type=int, default=17)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--builtin", type=Path, default=Path("data/builtin.toml"))
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    economies = tomllib.loads(args.builtin.read_text())["economies"]
    economies.sort(key=lambda e: e["code"])
    # Stand-in M49 codes: 100 + position, Korea its real 410.
    code_of = {e["code"]: 100 + i for i, e in enumerate(economies)}
    code_of[REPORTER[0]] = REPORTER[1]
    name_of = {e["code"]: e["name"] for e in economies}
    (out / "reporters.json").write_text(
        json.dumps(
            {
                "more": False,
                "results": [
                    {
                        "id": code_of[e["code"]],
                        "text": e["name"],
                        "reporterCode": code_of[e["code"]],
                        "reporterDesc": e["name"],
                        "reporterCodeIsoAlpha2": e.get("iso2", ""),
                        "reporterCodeIsoAlpha3": e["code"],
                        "isGroup": False,
                    }
                    for e in economies
                ],
            }
        )
    )
    partners = [e["code"] for e in economies if e["code"] != REPORTER[0]][:PARTNERS]
    by_code = sorted(partners, key=lambda iso: code_of[iso])
    this_year = datetime.date.today().year
    years = list(range(this_year - args.years, this_year))
    flows = [("X", "Export", "export"), ("M", "Import", "import")]
    codes = hs_codes(rng)
    groups = len(years) * len(flows)
    per_group = [args.records // groups + (1 if g < args.records % groups else 0) for g in range(groups)]

    index: dict[str, list[int]] = {}
    totals: dict[int, list[str]] = {year: [] for year in years}
    csv_rows = []
    group = 0
    for year in years:
        for flow, flow_desc, flow_name in flows:
            counts = line_counts(rng, len(by_code), per_group[group], len(codes))
            group += 1
            directory = out / "lines" / str(year) / flow
            directory.mkdir(parents=True, exist_ok=True)
            rows_of: dict[str, list[str]] = {}
            for iso, count in zip(by_code, counts):
                picked = sorted(rng.sample(range(len(codes)), count))
                records, rows, total = [], [], 0.0
                for position in picked:
                    cmd, desc = codes[position]
                    value = round(rng.lognormvariate(11, 2.2), 2)
                    total += value
                    qty = round(value / rng.uniform(2, 40), 1)
                    cif, fob = ("null", value) if flow == "X" else (value, "null")
                    records.append(
                        RECORD.format(
                            year=year, flow=flow, flow_desc=flow_desc, partner=code_of[iso], iso=iso,
                            partner_desc=json_text(name_of[iso]), cmd=cmd, cmd_desc=json_text(desc),
                            level=6, leaf="true", qty=qty, cif=cif, fob=fob, value=value,
                        )
                    )
                    rows.append((cmd, desc, value))
                body = ",".join(records).encode()
                (directory / f"{code_of[iso]}.json").write_bytes(body)
                index[f"{year}/{flow}/{code_of[iso]}"] = [len(records), len(body)]
                rows_of[iso] = rows
                totals[year].append(
                    RECORD.format(
                        year=year, flow=flow, flow_desc=flow_desc, partner=code_of[iso], iso=iso,
                        partner_desc=json_text(name_of[iso]), cmd="TOTAL", cmd_desc="All Commodities",
                        level=0, leaf="false", qty="null", cif="null", fob="null", value=round(total, 2),
                    )
                )
            # The order tradepact stages them in: request by request (by
            # code), partner by partner (by ISO code), line by line.
            step = args.partners_per_request
            for start in range(0, len(by_code), step):
                chunk = by_code[start : start + step]
                first, last = code_of[chunk[0]], code_of[chunk[-1]]
                key = f"comtrade-kor-{year}-{flow.lower()}-ag6-partners-{first}-{last}"
                for iso in sorted(chunk):
                    for cmd, desc, value in rows_of[iso]:
                        csv_rows.append((iso, year, flow_name, cmd, desc, value, key))
    (out / "totals").mkdir(exist_ok=True)
    for year in years:
        world = RECORD.format(
            year=year, flow="X", flow_desc="Export", partner=0, iso="W00", partner_desc="World",
            cmd="TOTAL", cmd_desc="All Commodities", level=0, leaf="false", qty="null", cif="null",
            fob="null", value=1.0,
        )
        records = [world] + totals[year]
        (out / "totals" / f"{year}.json").write_text(
            '{"elapsedTime":"0.3 secs","count":%d,"data":[%s],"error":""}' % (len(records), ",".join(records))
        )
    (out / "index.json").write_text(
        json.dumps({"records": args.records, "years": years, "pieces": index})
    )
    with open(out / "rows.csv", "w", newline="") as f:
        for iso, year, flow_name, cmd, desc, value, key in csv_rows:
            text = desc.replace('"', '""')
            f.write(f'KOR,{iso},{year},{flow_name},{cmd},"{text}",{value},{key},comtrade\n')
    largest = 0
    for year in years:
        for flow, _, _ in flows:
            for start in range(0, len(by_code), args.partners_per_request):
                chunk = by_code[start : start + args.partners_per_request]
                largest = max(largest, sum(index[f"{year}/{flow}/{code_of[iso]}"][0] for iso in chunk))
    print(f"records={args.records} partners={len(by_code)} years={years[0]}-{years[-1]} largest_page={largest}")


if __name__ == "__main__":
    main()
