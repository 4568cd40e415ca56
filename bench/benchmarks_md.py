"""BENCHMARKS.md from the figures bench/run saves, one or two runs side by side.

  benchmarks_md.py [--before FILE] FILE   the whole BENCHMARKS.md, FILE's run
                                          beside the --before run's
  benchmarks_md.py --before FILE          the --before run beside an empty
                                          column for the run still to come
  benchmarks_md.py --table FILE           FILE's table alone (bench/run prints it)

With --keep OLD (first), the whole document ends with OLD's sections from
its first `## ` heading on: what is written by hand below the generated part
(the generated part has no such heading) stays.

A figures file holds tab-separated lines: `@name value` for what a run was
(its label, date, machine, settings), and `row key label target value result`
for each figure. Rows of the two runs are paired by key; a row only one run
has shows "—" in the other's column.
"""

import sys
from pathlib import Path


def read(path):
    meta, rows = {}, {}
    for line in Path(path).read_text().splitlines():
        fields = line.split("\t")
        if fields[0].startswith("@"):
            meta[fields[0][1:]] = fields[1] if len(fields) > 1 else ""
        elif fields[0] == "row" and len(fields) == 6:
            _, key, label, target, value, result = fields
            rows[key] = {"label": label, "target": target, "value": value, "result": result}
    return meta, rows


def order(runs):
    """Keys of every run: the last run's order, with a key only an earlier
    run has placed after the key it follows there."""
    keys = list(runs[-1][1])
    for _, rows in runs[:-1]:
        if not keys:
            keys = list(rows)
            continue
        previous = None
        for key in rows:
            if key not in keys:
                at = keys.index(previous) + 1 if previous in keys else len(keys)
                keys.insert(at, key)
            previous = key
    return keys


def cell(row):
    if row is None:
        return "—"
    if row["result"] in ("pass", "FAIL"):
        mark = "**FAIL**" if row["result"] == "FAIL" else "pass"
        return f"{row['value']} — {mark}"
    return row["value"]


def table(runs):
    labels = [meta.get("label", "this run") for meta, _ in runs]
    lines = [
        "| figure | target | " + " | ".join(labels) + " |",
        "|---|---|" + "---|" * len(runs),
    ]
    for key in order(runs):
        present = [rows.get(key) for _, rows in runs]
        last = next(row for row in reversed(present) if row is not None)
        lines.append(
            f"| {last['label']} | {last['target']} | "
            + " | ".join(cell(row) for row in present)
            + " |"
        )
    return "\n".join(lines)


def document(runs):
    meta = next(m for m, _ in reversed(runs) if "rounds" in m)
    headers = [
        line
        for line in Path(__file__).with_name("grpcio.headers").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    runs_text = "\n".join(
        f"- **{m.get('label', 'this run')}**: {m.get('date', '?')}; {m.get('machine', '?')}; "
        f"h2load {m.get('h2load', '?')}; TLS {m.get('tls', '?')}; {m.get('load', '?')}"
        + ("" if m.get("compress_flag") == "true" else "; no `--compress-answers` flag")
        for m, _ in runs
        if "date" in m
    )
    return f"""# Benchmarks

Made by `bench/run` (about 15 minutes), which builds this tree, measures it and
writes this file, with the figures of the build before issue 13 beside its own.
Those are kept in `bench/results/before-issue13.txt`, made once by:

```sh
git worktree add /tmp/tp-before 76deff0
(cd /tmp/tp-before && CARGO_TARGET_DIR=/tmp/tp-before-target \\
    cargo build --release --locked --bin tradepact --example large_store)
bench/run --binary /tmp/tp-before-target/release/tradepact \\
    --label "76deff0 (before issue 13)" --save bench/results/before-issue13.txt
```

**What is measured.** h2load (`-c 50 -m 10 -t 1`) sends unary calls to a release build on
loopback with the headers grpcio {grpcio_version(headers)} sends (bench/grpcio.headers:
{"; ".join(f"`{h}`" for h in headers)}), in plaintext and over TLS (a self-signed ECDSA P-256
certificate, `--tls-cert`/`--tls-key`; h2load speaks h2 by ALPN). Client and server share the
machine's cores. Each call is measured in {meta.get('rounds', '?')} rounds of a grpc.health.v1 Check run
and a run of the call on the same server, health first in odd rounds and the call first in even
ones, after an unmeasured warm-up of every call. A run is {meta.get('round_requests', '?')} calls, or about
{meta.get('run_seconds', '?')} s of a slower call (never fewer than {meta.get('min_requests', '?')}); every answer's
size is checked, so a run with a failed call stops the benchmark.

**The judged figure** is the server's CPU time per call: utime + stime of `/proc/<pid>/stat`
(clock ticks of 1/{meta.get('clk_tck', '?')} s) read before and after a run, divided by its calls, as a ratio to
health's in the same round; the row's ratio is the median over the rounds, and the µs are the
medians of the call's runs and of the health runs paired with them. Targets: the point queries
≤ 1.3× health, RankPartners and GetProductBreakdown on the large store ≤ 2×. The same calls
with `--compress-answers gzip` (when the binary has the flag; otherwise the server gets
`--compress-answers off`) are a figure. The build before issue 13 has no such flag: it compresses
every answer with gzip when the request accepts gzip, as grpcio's requests do (its answer
sizes show it), and its cached-answer layer served only requests that accept no compression.

**Figures, not judged:** req/s and its ratio to health's (in parentheses); latency open loop at half the measured req/s for
{meta.get('duration', '?')} s (50 clients, one stream each; h2load `--rps` starts every client's request on the
same tick, so a p99 includes a queue of up to 50 simultaneous calls); idle RSS (VmRSS).
Still judged from issue 5: the RSS leak check (more requests of all six calls in equal shares,
once the rounds and the latency run have warmed the process), start to SERVING, and the
refresh ingest (`bench/ingest`: 1 million Comtrade records; its GetAgreement load uses the
same headers). Large store: examples/large_store.rs {meta.get('large_shape', '?')}.
Micro-benchmarks of the pure functions: bench/micro (criterion), see bench/MICRO.md.
Read replicas (replication lag, reader cold start, bytes shipped, req/s with one and two readers): bench/replication, see SCALING.md.

These virtual CPUs' speed drifts between minutes, and req/s moves with whatever else runs on
the machine. CPU a call moves too (under a load average of 5 to 8, health's varied by half
between the rounds of one run), hence the pairing within a round and the median, and the load
average of each run below: compare runs made under a like load.

Runs:

{runs_text}

{table(runs)}
"""


def grpcio_version(headers):
    for header in headers:
        if header.startswith("user-agent:"):
            for word in header.split():
                if word.startswith("grpc-python/"):
                    return word.split("/", 1)[1]
    return "(see bench/grpcio.headers)"


def kept(path):
    """The hand-written sections of an earlier BENCHMARKS.md."""
    lines = Path(path).read_text().splitlines(keepends=True) if Path(path).exists() else []
    start = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    return "".join(lines[start:])


def main(argv):
    keep = ""
    if len(argv) >= 2 and argv[0] == "--keep":
        keep = kept(argv[1])
        argv = argv[2:]
    if len(argv) == 2 and argv[0] == "--table":
        print(table([read(argv[1])]))
        return 0
    runs = []
    if len(argv) in (2, 3) and argv[0] == "--before":
        runs.append(read(argv[1]))
        argv = argv[2:]
    if len(argv) > 1 or not runs and not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if argv:
        runs.append(read(argv[0]))
    else:
        runs.append(({"label": "after issue 13: not run yet (`bench/run`)"}, {}))
    sys.stdout.write(document(runs))
    if keep:
        sys.stdout.write("\n" + keep)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
