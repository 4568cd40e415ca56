"""The installable clients, installed as a user would and run against the server.

Python: a fresh virtualenv (`python -m venv`) gets `pip install` of
clients/python, copied first into a temporary directory without build
leftovers: so the install proves the package is self-contained (it needs
neither proto/ nor grpc_tools) and writes nothing into the checkout. Its
dependencies come from the package index pip is configured with. A script run
in that virtualenv (isolated: `python -I`, from a temporary directory) imports
`tradepact_client` and asks the live server real questions. Then the `pandas`
extra is installed and the DataFrame helpers are checked; before that,
`to_dataframe` must fail with an ImportError that says what to install.

Node: `npm pack` of clients/node (its `prepare` script copies the contract
into the package), `npm install` of the tarball into an empty project in a
temporary directory, a script that requires `tradepact-client` and asks the
same questions, and `tsc --strict` over a TypeScript file that uses the
package's typings (index.d.ts), with the TypeScript release pinned in
clients/node/package.json.

Also: the generated modules committed in the Python package are what
proto/ generates now (clients/python/generate_stubs.py --check).

Nothing here is skipped: a missing npm, node or package index fails the test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON_CLIENT = REPO_ROOT / "clients" / "python"
NODE_CLIENT = REPO_ROOT / "clients" / "node"
INSTALL_TIMEOUT_S = 180
RUN_TIMEOUT_S = 60

# What every client must find in the built-in dataset.
KOREA_CAMBODIA_2019_TOTAL_USD = 1_033_000_000


def run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = RUN_TIMEOUT_S) -> str:
    """Runs `command`; fails the test with its output unless it exits 0.
    Returns its standard output."""
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except FileNotFoundError as error:
        pytest.fail(f"{command[0]} is not installed: {error}", pytrace=False)
    except subprocess.TimeoutExpired as error:
        pytest.fail(
            f"{' '.join(command)} did not finish within {timeout} s\n"
            f"--- stdout ---\n{error.stdout}\n--- stderr ---\n{error.stderr}",
            pytrace=False,
        )
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(command)} (in {cwd}) exited {done.returncode}\n"
            f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}",
            pytrace=False,
        )
    return done.stdout


def clean_env() -> dict[str, str]:
    """The environment without anything that would point Python or Node at the
    checkout (PYTHONPATH, NODE_PATH, an active virtualenv)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "NODE_PATH")
    }
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def last_json_line(output: str) -> dict:
    """The result a check script printed as its last line (JSON)."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, "the check script printed nothing"
    return json.loads(lines[-1])


# --- the generated Python modules ------------------------------------------------------


def test_python_stubs_are_current():
    """The committed src/tradepact_client/v1 is what proto/ generates."""
    out = run(
        [sys.executable, str(PYTHON_CLIENT / "generate_stubs.py"), "--check"],
        cwd=REPO_ROOT,
    )
    assert "identical" in out, out


# --- Python -----------------------------------------------------------------------------

PYTHON_CHECK = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import tradepact_client
    from tradepact_client import Client, TradepactError, to_dataframe, to_python
    from google.type import date_pb2

    # Two replicas, one answering UNAVAILABLE to everything (as a reader
    # restoring its copy does): with round_robin every question is answered,
    # the retries going to the other one. Without retries, some calls fail:
    # the retries are what answered them.
    def check_retries(address):
        from concurrent import futures

        import grpc

        calls = []

        class Restoring(grpc.GenericRpcHandler):
            def service(self, handler_call_details):
                def unavailable(request, context):
                    calls.append(handler_call_details.method)
                    context.abort(grpc.StatusCode.UNAVAILABLE, "restoring its copy")

                return grpc.unary_unary_rpc_method_handler(unavailable)

        restoring = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[Restoring()])
        port = restoring.add_insecure_port("127.0.0.1:0")
        restoring.start()
        replicas = f"ipv4:127.0.0.1:{port},{address}"
        # The authority gRPC derives from a list of addresses is the list,
        # which no HTTP/2 server accepts; a dns: name is its own authority.
        authority = [("grpc.default_authority", "tradepact-readers")]
        try:
            with Client(replicas, load_balancing="round_robin", options=authority) as client:
                grpc.channel_ready_future(client.channel).result(timeout=10)
                for _ in range(8):
                    assert client.agreement("kor-khm").id == "kor-khm"
                    assert client.server_info().version
            retried = len(calls)
            assert retried > 0, "round_robin never sent a call to the replica that refuses"
            no_retries = [*authority, ("grpc.enable_retries", 0)]
            with Client(replicas, load_balancing="round_robin", options=no_retries) as client:
                grpc.channel_ready_future(client.channel).result(timeout=10)
                outcomes = set()
                for _ in range(8):
                    try:
                        client.agreement("kor-khm")
                        outcomes.add("OK")
                    except TradepactError as error:
                        outcomes.add(error.code.name)
            assert outcomes == {"OK", "UNAVAILABLE"}, outcomes
        finally:
            restoring.stop(None)
        return retried

    address = sys.argv[1]
    site = Path(sys.argv[2]).resolve()
    package = Path(tradepact_client.__file__).resolve().parent
    assert package.is_relative_to(site), f"tradepact_client imported from {package}, not {site}"
    # google.type comes from googleapis-common-protos, not from this package.
    assert not Path(date_pb2.__file__).resolve().is_relative_to(package), date_pb2.__file__
    # The generated modules live in the package: no top-level `tradepact`.
    try:
        import tradepact  # noqa: F401
    except ModuleNotFoundError:
        pass
    else:
        raise AssertionError(f"a top-level tradepact module is importable: {tradepact.__file__}")
    result = {"package": str(package)}

    with Client(address) as client:
        agreements = client.agreements(party="KOR")
        ids = [a.id for a in agreements]
        assert "kor-khm" in ids, ids
        # Small pages: the client follows next_page_token to the same list.
        assert [a.id for a in client.agreements(party="KOR", page_size=4)] == ids
        in_force = client.agreements(party="KOR", status="in_force")
        assert "kor-khm" in [a.id for a in in_force]
        assert all(a.status == tradepact_client.v1.agreements_pb2.AGREEMENT_STATUS_IN_FORCE for a in in_force)
        found = [a.id for a in client.agreements(query="Korea Cambodia")]
        assert "kor-khm" in found and "kor-idn" not in found, found
        result["agreements"] = len(ids)

        khm = client.agreement("kor-khm")
        assert {p.code for p in khm.parties} == {"KOR", "KHM"}, khm.parties
        assert len(client.rounds("kor-khm", page_size=1)) == 4

        trade = client.bilateral_trade("KOR", "KHM", start_year=2019, end_year=2019)
        (year,) = [y for y in trade.years if y.year == 2019]
        assert year.reported_by == "KOR", year
        assert year.total_usd == %(total)d, year.total_usd
        assert to_python(year)["total_usd"] == %(total)d
        result["total_2019"] = year.total_usd

        try:
            client.agreements(party="KOR", page_size=-1)
        except TradepactError as error:
            assert error.code.name == "INVALID_ARGUMENT", error
            assert error.reason == "FIELD_INVALID", error
            assert error.domain == "tradepact.dev", error
            assert [v.field for v in error.field_violations] == ["page_size"], error.field_violations
            result["error"] = str(error)
        else:
            raise AssertionError("page_size -1 was accepted")

        try:
            client.agreement("kor-xyz")
        except TradepactError as error:
            assert error.code.name == "NOT_FOUND", error
            assert error.reason == "AGREEMENT_NOT_FOUND", error
            assert error.resource_name == "kor-xyz", error
        else:
            raise AssertionError("kor-xyz was found")

        economies = client.economies(query="cambodia")
        assert "KHM" in [e.code for e in economies], economies
        assert len(client.economies(page_size=25)) == len(client.economies())
        assert client.server_info().version
        products = client.products("KOR", "KHM", 2019, "export", page_size=2)
        assert len(products.products) == products.total_size == 3, products
        series = client.indicator_series("KHM", "NY.GDP.MKTP.KD.ZG", start_year=2019, end_year=2019)
        assert [p.year for p in series.points] == [2019], series

        result["retried"] = check_retries(address)

        if sys.argv[3] == "without-pandas":
            try:
                to_dataframe(agreements)
            except ImportError as error:
                assert "pip install" in str(error) and "pandas" in str(error), error
                result["dataframe"] = str(error)
            else:
                raise AssertionError("to_dataframe worked without pandas")
        else:
            frame = to_dataframe(client.bilateral_trade("KOR", "KHM"))
            row = frame[(frame.series == "years") & (frame.year == 2019)]
            assert list(row.total_usd) == [%(total)d], row
            assert list(row.reported_by) == ["KOR"], row
            assert str(frame.exports_usd.dtype) == "float64", frame.dtypes
            assert "kor-khm" in list(to_dataframe(agreements).id)
            ranks = to_dataframe(client.rank_partners("KOR", 2019, "export", partners=["KHM"]))
            assert list(ranks["rank"]) == [58] and list(ranks.quoted) == [True], ranks
            result["dataframe"] = frame.shape

    print(json.dumps(result))
    """
    % {"total": KOREA_CAMBODIA_2019_TOTAL_USD}
)


@pytest.fixture(scope="module")
def python_venv(tmp_path_factory) -> Path:
    """A fresh virtualenv with `pip install` of (a copy of) clients/python."""
    work = tmp_path_factory.mktemp("python-client")
    source = work / "src"
    shutil.copytree(
        PYTHON_CLIENT,
        source,
        ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", ".venv"),
    )
    venv = work / "venv"
    env = clean_env()
    run([sys.executable, "-m", "venv", str(venv)], cwd=work, env=env)
    python = venv / "bin" / "python"
    run(
        [str(python), "-m", "pip", "install", "--quiet", str(source)],
        cwd=work,
        env=env,
        timeout=INSTALL_TIMEOUT_S,
    )
    return venv


def site_packages(venv: Path) -> Path:
    python = venv / "bin" / "python"
    out = run([str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=venv)
    return Path(out.strip())


def run_python_check(venv: Path, address: str, mode: str) -> dict:
    script = venv.parent / "check_client.py"
    script.write_text(PYTHON_CHECK)
    out = run(
        [str(venv / "bin" / "python"), "-I", str(script), address, str(site_packages(venv)), mode],
        cwd=venv.parent,
        env=clean_env(),
    )
    return last_json_line(out)


def test_python_package_installs_and_answers(python_venv, server_address):
    """`pip install` gives tradepact_client with its stubs; it answers from the
    live server; without pandas, to_dataframe says what to install."""
    installed = run(
        [str(python_venv / "bin" / "python"), "-m", "pip", "list", "--format=json"],
        cwd=python_venv,
        env=clean_env(),
    )
    names = {p["name"].lower() for p in json.loads(installed)}
    assert "tradepact-client" in names, names
    assert "grpcio-tools" not in names, "grpcio-tools is a generator, not a runtime dependency"
    assert "pandas" not in names, "pandas must be optional"

    result = run_python_check(python_venv, server_address, "without-pandas")
    assert result["total_2019"] == KOREA_CAMBODIA_2019_TOTAL_USD
    assert "FIELD_INVALID" in result["error"]
    assert "pandas" in result["dataframe"]
    assert result["retried"] > 0


def test_python_package_dataframes(python_venv, server_address):
    """With the `pandas` extra installed, to_dataframe gives typed frames."""
    source = python_venv.parent / "src"
    run(
        [str(python_venv / "bin" / "python"), "-m", "pip", "install", "--quiet", f"{source}[pandas]"],
        cwd=python_venv.parent,
        env=clean_env(),
        timeout=INSTALL_TIMEOUT_S,
    )
    result = run_python_check(python_venv, server_address, "with-pandas")
    assert result["total_2019"] == KOREA_CAMBODIA_2019_TOTAL_USD


# --- Node -------------------------------------------------------------------------------

NODE_CHECK = textwrap.dedent(
    """
    'use strict';
    const assert = require('node:assert/strict');
    const fs = require('node:fs');
    const path = require('node:path');
    const { Client, TradepactError, formatDate, PROTO_DIR } = require('tradepact-client');

    const [address, projectDir] = process.argv.slice(2);

    // Two replicas, one answering UNAVAILABLE to everything (as a reader
    // restoring its copy does): with round_robin every question is answered,
    // the retries going to the other one. Without retries, some calls fail:
    // the retries are what answered them.
    async function checkRetries(address) {
      const grpc = require('@grpc/grpc-js');
      const protoLoader = require('@grpc/proto-loader');
      const definition = protoLoader.loadSync('tradepact/v1/agreements.proto', { includeDirs: [PROTO_DIR] });
      const service = grpc.loadPackageDefinition(definition).tradepact.v1.AgreementService.service;
      let refused = 0;
      const unavailable = (call, callback) => {
        refused += 1;
        callback({ code: grpc.status.UNAVAILABLE, details: 'restoring its copy' });
      };
      const restoring = new grpc.Server();
      restoring.addService(service, { GetAgreement: unavailable, ListAgreements: unavailable, ListNegotiationRounds: unavailable });
      const port = await new Promise((resolve, reject) =>
        restoring.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
      );
      const replicas = `ipv4:127.0.0.1:${port},${address}`;
      // The authority gRPC derives from a list of addresses is the list, which
      // no HTTP/2 server accepts; a dns: name is its own authority.
      const authority = { 'grpc.default_authority': 'tradepact-readers' };
      try {
        const client = new Client(replicas, { loadBalancing: 'round_robin', channelOptions: authority });
        try {
          for (let i = 0; i < 8; i += 1) {
            assert.equal((await client.agreement('kor-khm')).id, 'kor-khm');
          }
        } finally {
          client.close();
        }
        const retried = refused;
        assert.ok(retried > 0, 'round_robin never sent a call to the replica that refuses');
        const noRetries = new Client(replicas, {
          loadBalancing: 'round_robin',
          channelOptions: { ...authority, 'grpc.enable_retries': 0 },
        });
        const outcomes = new Set();
        try {
          for (let i = 0; i < 8; i += 1) {
            try {
              await noRetries.agreement('kor-khm');
              outcomes.add('OK');
            } catch (error) {
              outcomes.add(error.codeName);
            }
          }
        } finally {
          noRetries.close();
        }
        assert.deepEqual([...outcomes].sort(), ['OK', 'UNAVAILABLE']);
        return retried;
      } finally {
        restoring.forceShutdown();
      }
    }

    async function main() {
      // Installed into the project, not linked to the checkout.
      const main = fs.realpathSync(require.resolve('tradepact-client'));
      assert.ok(main.startsWith(fs.realpathSync(path.join(projectDir, 'node_modules')) + path.sep), main);
      for (const file of ['tradepact/v1/agreements.proto', 'tradepact/v1/catalog.proto', 'google/type/date.proto', 'google/rpc/status.proto', 'google/rpc/error_details.proto']) {
        assert.ok(fs.existsSync(path.join(PROTO_DIR, file)), `${file} is not in the package`);
      }
      const result = { main };
      const client = new Client(address);
      try {
        const agreements = await client.agreements({ party: 'KOR' });
        const ids = agreements.map((a) => a.id);
        assert.ok(ids.includes('kor-khm'), ids.join(' '));
        assert.deepEqual((await client.agreements({ party: 'KOR', pageSize: 4 })).map((a) => a.id), ids);
        const inForce = await client.agreements({ party: 'KOR', status: 'in_force' });
        const found = (await client.agreements({ query: 'Korea Cambodia' })).map((a) => a.id);
        assert.ok(found.includes('kor-khm') && !found.includes('kor-idn'), found.join(','));
        assert.ok(inForce.some((a) => a.id === 'kor-khm'));
        assert.ok(inForce.every((a) => a.status === 'AGREEMENT_STATUS_IN_FORCE'));
        result.agreements = ids.length;

        const khm = await client.agreement('kor-khm');
        assert.deepEqual(khm.parties.map((p) => p.code).sort(), ['KHM', 'KOR']);
        assert.equal((await client.rounds('kor-khm', { pageSize: 1 })).length, 4);

        const trade = await client.bilateralTrade('KOR', 'KHM', { startYear: 2019, endYear: 2019 });
        const year = trade.years.find((y) => y.year === 2019);
        assert.ok(year, JSON.stringify(trade));
        assert.equal(year.reported_by, 'KOR');
        assert.equal(year.total_usd, %(total)d);
        result.total_2019 = year.total_usd;
        // A figure the sources do not give is absent, not 0.
        const mirror = trade.mirror_years.find((y) => y.year === 2019);
        assert.ok(mirror && !('exports_usd' in mirror), JSON.stringify(mirror));

        await assert.rejects(client.agreements({ party: 'KOR', pageSize: -1 }), (error) => {
          assert.ok(error instanceof TradepactError, String(error));
          assert.equal(error.codeName, 'INVALID_ARGUMENT');
          assert.equal(error.reason, 'FIELD_INVALID');
          assert.equal(error.domain, 'tradepact.dev');
          assert.deepEqual(error.fieldViolations.map((v) => v.field), ['page_size']);
          result.error = error.message + ' ' + error.reason;
          return true;
        });
        await assert.rejects(client.agreement('kor-xyz'), (error) => {
          assert.equal(error.codeName, 'NOT_FOUND');
          assert.equal(error.reason, 'AGREEMENT_NOT_FOUND');
          assert.equal(error.resourceName, 'kor-xyz');
          return true;
        });
        // An unknown enum name is refused before anything is sent.
        await assert.rejects(client.agreements({ status: 'bogus' }), RangeError);

        const economies = await client.economies({ query: 'cambodia' });
        assert.ok(economies.some((e) => e.code === 'KHM'), JSON.stringify(economies));
        assert.equal((await client.economies({ pageSize: 25 })).length, (await client.economies()).length);
        assert.ok((await client.serverInfo()).version);
        const products = await client.products('KOR', 'KHM', 2019, 'export', { pageSize: 2 });
        assert.equal(products.products.length, 3);
        assert.equal(products.total_size, 3);
        const series = await client.indicatorSeries('KHM', 'NY.GDP.MKTP.KD.ZG', { startYear: 2019, endYear: 2019 });
        assert.deepEqual(series.points.map((p) => p.year), [2019]);
        assert.equal(formatDate({ year: 2020, month: 10, day: 0 }), '2020-10');
      } finally {
        client.close();
      }
      result.retried = await checkRetries(address);
      console.log(JSON.stringify(result));
    }

    main().catch((error) => {
      console.error(error);
      process.exitCode = 1;
    });
    """
    % {"total": KOREA_CAMBODIA_2019_TOTAL_USD}
)

# Uses the typings; `tsc --strict --noEmit` must accept it. The
# @ts-expect-error lines fail the compile if the typings are too loose (any).
TYPES_CHECK = textwrap.dedent(
    """
    import { Client, TradepactError, Agreement, TradeYear, EconomyInfo, formatDate } from 'tradepact-client';

    async function check(address: string): Promise<number> {
      const client = new Client(address, { timeoutMs: 5000 });
      const agreements: Agreement[] = await client.agreements({ party: 'KOR', status: 'in_force' });
      const since: string | null = formatDate(agreements[0].status_since);
      const trade = await client.bilateralTrade('KOR', 'KHM', { startYear: 2019 });
      const year: TradeYear = trade.mirror_years[0];
      const total: number | undefined = year.total_usd;
      // @ts-expect-error an optional figure may be absent
      const sure: number = year.exports_usd;
      // @ts-expect-error enums are their full names
      const status: 'in_force' = agreements[0].status;
      const economies: EconomyInfo[] = await client.economies({ query: 'cambodia' });
      const ranking = await client.rankPartners('KOR', 2019, 'export', { partners: ['KHM'] });
      const rank: number | undefined = ranking.quoted_entries[0].rank;
      const products = await client.products('KOR', 'KHM', 2019, 'export', { pageSize: 2 });
      const quoted: boolean = products.quoted;
      const info = await client.serverInfo();
      const setting: string = info.settings['listen'];
      try {
        await client.agreement('kor-xyz', { view: 'full' });
      } catch (error) {
        if (error instanceof TradepactError) {
          const reason: string | null = error.reason;
          const field: string | undefined = error.fieldViolations[0]?.field;
          console.log(reason, field, error.codeName);
        }
      }
      // @ts-expect-error the target is required
      new Client();
      client.close();
      console.log(since, total, sure, status, rank, quoted, setting);
      return economies.length;
    }

    check('localhost:50051').catch(() => undefined);
    """
)

TSCONFIG = {
    "compilerOptions": {
        "strict": True,
        "noEmit": True,
        "target": "es2022",
        "module": "commonjs",
        "moduleResolution": "node",
        "lib": ["es2022"],
        "types": ["node"],
        "skipLibCheck": True,
    },
    "files": ["check.ts"],
}


def pinned_dev_dependency(name: str) -> str:
    package = json.loads((NODE_CLIENT / "package.json").read_text())
    version = package.get("devDependencies", {}).get(name)
    assert version, f"clients/node/package.json pins no {name} devDependency"
    return version


@pytest.fixture(scope="module")
def node_project(tmp_path_factory) -> Path:
    """An empty npm project with the packed clients/node tarball installed."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not on PATH: the Node client cannot be checked", pytrace=False)
    work = tmp_path_factory.mktemp("node-client")
    packs = work / "packs"
    packs.mkdir()
    env = clean_env()
    run(["npm", "pack", "--pack-destination", str(packs)], cwd=NODE_CLIENT, env=env, timeout=INSTALL_TIMEOUT_S)
    tarballs = sorted(packs.glob("tradepact-client-*.tgz"))
    assert len(tarballs) == 1, f"npm pack made {tarballs}"

    project = work / "project"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "check", "private": True}))
    typescript = f"typescript@{pinned_dev_dependency('typescript')}"
    run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefer-offline", str(tarballs[0]), typescript],
        cwd=project,
        env=env,
        timeout=INSTALL_TIMEOUT_S,
    )
    return project


def test_node_package_installs_and_answers(node_project, server_address):
    """The packed tradepact-client installs with its protos; its Client answers
    from the live server."""
    installed = node_project / "node_modules" / "tradepact-client"
    assert not installed.is_symlink(), "the tarball install must not link to the checkout"
    for name in ("index.js", "index.d.ts", "package.json"):
        assert (installed / name).is_file(), f"{name} is not in the installed package"

    script = node_project / "check.js"
    script.write_text(NODE_CHECK)
    out = run(["node", str(script), server_address, str(node_project)], cwd=node_project, env=clean_env())
    result = last_json_line(out)
    assert result["total_2019"] == KOREA_CAMBODIA_2019_TOTAL_USD
    assert "FIELD_INVALID" in result["error"]
    assert result["retried"] > 0


def test_node_typings_compile(node_project):
    """index.d.ts types the Client and its answers: tsc --strict accepts a
    program that uses them and rejects the misuses marked @ts-expect-error."""
    (node_project / "check.ts").write_text(TYPES_CHECK)
    (node_project / "tsconfig.json").write_text(json.dumps(TSCONFIG, indent=2))
    tsc = node_project / "node_modules" / "typescript" / "bin" / "tsc"
    run(["node", str(tsc), "-p", str(node_project / "tsconfig.json")], cwd=node_project, env=clean_env())
