#!/usr/bin/env node
// A small tradepact client in Node.js, built on this package's Client
// (index.js: @grpc/grpc-js + @grpc/proto-loader).
//
// It loads the contract from ../../proto at run time (the Client's
// `includeDirs` option, so it always speaks the API as it is in this checkout
// rather than the package's copy), with ../../third_party/googleapis on the
// import path for google/type/date.proto and google/rpc/*.proto, then:
//
//   1. lists Korea's agreements in force (ListAgreements, following page
//      tokens) with their id, name and the date they entered into force (a
//      google.type.Date at the precision the sources give);
//   2. prints Korea–Cambodia trade (GetBilateralTrade KOR/KHM) as a table, once
//      as Korea reports it (`years`) and once as Cambodia does (`mirror_years`);
//   3. sends one deliberately bad request (ListAgreements with page_size -1)
//      and prints the error details of the INVALID_ARGUMENT answer: the
//      google.rpc.Status in the `grpc-status-details-bin` trailer, which the
//      Client decodes into a TradepactError (ErrorInfo, BadRequest,
//      ResourceInfo, unpacked by type URL).
//
//   node example.js --addr localhost:50051
//   // read replicas behind a Kubernetes headless Service: every address the
//   // name resolves to, calls spread with round_robin (deploy/REPLICAS.md)
//   node example.js --addr dns:///tradepact-readers.default.svc.cluster.local:50051
'use strict';

const path = require('node:path');
const { parseArgs } = require('node:util');
const { Client, TradepactError, formatDate } = require('./index.js');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
// The contract and the Google API files it uses (vendored unchanged); the
// google/protobuf well-known types come with protobufjs.
const INCLUDE_DIRS = [path.join(REPO_ROOT, 'proto'), path.join(REPO_ROOT, 'third_party', 'googleapis')];
const RPC_TIMEOUT_MS = 10_000;
// Small on purpose, so that the example really follows next_page_token.
const PAGE_SIZE = 10;

async function listInForce(client, party) {
  console.log(`Agreements of ${party} in force`);
  const agreements = await client.agreements({ party, status: 'in_force', pageSize: PAGE_SIZE });
  for (const agreement of agreements) {
    // status_since is the date of the event that put the agreement in its
    // current status: here, its entry into force.
    const inForce = formatDate(agreement.status_since) || 'unknown';
    console.log(`  ${agreement.id.padEnd(22)} ${inForce.padEnd(10)}  ${agreement.name}`);
  }
  console.log(`  (${agreements.length} agreements)`);
}

const usdMillion = (value) =>
  value === undefined || value === null
    ? '-'
    : (value / 1e6).toLocaleString('en-US', {
        minimumFractionDigits: 1,
        maximumFractionDigits: 1,
      });

const percent = (value) =>
  value === undefined || value === null ? '-' : `${value >= 0 ? '+' : ''}${value.toFixed(1)}%`;

function printTradeTable(title, tradeYears) {
  const header = ['year', 'exports', 'imports', 'total', 'growth', 'reported_by'];
  const rows = tradeYears.map((y) => [
    String(y.year),
    usdMillion(y.exports_usd),
    usdMillion(y.imports_usd),
    usdMillion(y.total_usd),
    percent(y.total_growth_pct),
    y.reported_by,
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i].length)));
  const line = (cells) => '  ' + cells.map((cell, i) => cell.padStart(widths[i])).join('  ');
  console.log(title);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  if (rows.length === 0) console.log('  (no figures)');
}

async function bilateralTrade(client, reporter, partner) {
  const response = await client.bilateralTrade(reporter, partner);
  console.log(
    `${reporter}–${partner} trade, US$ million ` +
      `(exports = ${reporter} → ${partner}; growth = total vs the previous year)`,
  );
  printTradeTable(`as ${reporter} reports it (years)`, response.years);
  printTradeTable(`as ${partner} reports it (mirror_years)`, response.mirror_years);
}

// Prints the error details the Client read from the failed call. Returns false
// when the call carried none.
function printErrorDetails(error) {
  console.log(`  status: ${error.codeName}: ${error.details}`);
  if (error.errorDetails.length === 0) {
    console.log('  (no error details)');
    return false;
  }
  for (const { typeName, message } of error.errorDetails) {
    if (typeName === 'google.rpc.ErrorInfo') {
      const metadata = Object.keys(message.metadata)
        .sort()
        .map((key) => `${key}=${message.metadata[key]}`)
        .join(', ');
      console.log(
        `  ErrorInfo: reason ${message.reason}, domain ${message.domain}, metadata {${metadata}}`,
      );
    } else if (typeName === 'google.rpc.BadRequest') {
      for (const violation of message.field_violations) {
        console.log(`  BadRequest: field ${violation.field}: ${violation.description}`);
      }
    } else if (typeName === 'google.rpc.ResourceInfo') {
      console.log(`  ResourceInfo: ${message.resource_type} '${message.resource_name}'`);
    } else {
      // Unknown detail types are skipped, as clients should.
      console.log(`  (a detail of type ${typeName})`);
    }
  }
  return true;
}

// Sends ListAgreements with a negative page size and prints the details of the
// INVALID_ARGUMENT answer. Resolves to false when the call did not fail with
// details.
async function badRequest(client) {
  console.log('Error details of a bad request (ListAgreements with page_size -1)');
  try {
    await client.agreements({ pageSize: -1 });
  } catch (error) {
    if (
      !(error instanceof TradepactError) ||
      error.codeName === 'UNAVAILABLE' ||
      error.codeName === 'DEADLINE_EXCEEDED'
    ) {
      throw error;
    }
    return printErrorDetails(error);
  }
  console.log('  the server accepted page_size -1');
  return false;
}

async function main() {
  const usage =
    'usage: node example.js [--addr HOST:PORT | dns:///HOST:PORT] [--lb-policy auto|round_robin|pick_first]\n' +
    '  --addr       default localhost:50051; dns:///... uses every address of the name\n' +
    "  --lb-policy  default auto: round_robin for a dns:/// address, grpc-js's default otherwise";
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        addr: { type: 'string', default: 'localhost:50051' },
        'lb-policy': { type: 'string', default: 'auto' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    console.error(`${error.message}\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const lbPolicy = values['lb-policy'];
  if (!['auto', 'round_robin', 'pick_first'].includes(lbPolicy)) {
    console.error(`--lb-policy: unknown policy ${JSON.stringify(lbPolicy)}\n${usage}`);
    return 2;
  }
  // The Client adds the service config {"loadBalancingConfig": [{"round_robin": {}}],
  // "methodConfig": [...retries on UNAVAILABLE]} to the channel options for a
  // dns: target unless told otherwise.
  const client = new Client(values.addr, {
    includeDirs: INCLUDE_DIRS,
    timeoutMs: RPC_TIMEOUT_MS,
    loadBalancing: lbPolicy === 'auto' ? undefined : lbPolicy,
  });
  try {
    await listInForce(client, 'KOR');
    console.log();
    await bilateralTrade(client, 'KOR', 'KHM');
    console.log();
    if (!(await badRequest(client))) {
      console.error(`${values.addr}: no error details for a bad request`);
      return 1;
    }
  } catch (error) {
    if (!(error instanceof TradepactError)) throw error;
    console.error(`${values.addr}: ${error.codeName}: ${error.details}`);
    return 1;
  } finally {
    client.close();
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
