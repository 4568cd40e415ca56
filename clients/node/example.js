#!/usr/bin/env node
// A small tradepact client in Node.js (@grpc/grpc-js + @grpc/proto-loader).
//
// It loads the contract from ../../proto at run time (so it always speaks the
// API as it is in this checkout), with ../../third_party/googleapis on the
// import path for google/type/date.proto, then:
//
//   1. lists Korea's agreements in force (ListAgreements, following page
//      tokens) with their id, name and the date they entered into force (a
//      google.type.Date at the precision the sources give);
//   2. prints Korea–Cambodia trade (GetBilateralTrade KOR/KHM) as a table, once
//      as Korea reports it (`years`) and once as Cambodia does (`mirror_years`);
//   3. sends one deliberately bad request (ListAgreements with page_size -1)
//      and prints the error details of the INVALID_ARGUMENT answer: the
//      google.rpc.Status in the `grpc-status-details-bin` trailer, decoded
//      with protobufjs from the vendored google/rpc/*.proto, its Any details
//      unpacked by type URL (ErrorInfo, BadRequest, ResourceInfo).
//
//   node example.js --addr localhost:50051
'use strict';

const path = require('node:path');
const { parseArgs } = require('node:util');
const fs = require('node:fs');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PROTO_ROOT = path.join(REPO_ROOT, 'proto');
// google/type/date.proto (imported by the contract) and google/rpc/*.proto
// (the error details), vendored unchanged. The google/protobuf well-known
// types come with protobufjs.
const GOOGLEAPIS_ROOT = path.join(REPO_ROOT, 'third_party', 'googleapis');
const INCLUDE_DIRS = [PROTO_ROOT, GOOGLEAPIS_ROOT];
const PROTO_FILES = ['tradepact/v1/agreements.proto', 'tradepact/v1/trade.proto'];
const ERROR_PROTO_FILES = ['google/rpc/status.proto', 'google/rpc/error_details.proto'];
const RPC_TIMEOUT_MS = 10_000;
// Small on purpose, so that the example really follows next_page_token.
const PAGE_SIZE = 10;

// Field names stay as in the .proto files (snake_case: keepCase), enums are
// their names, 64-bit integers strings, unset scalars their defaults, and a set
// `optional` field also names itself in `_field` (oneofs). Unset `optional`
// fields (e.g. TradeYear.exports_usd) are absent from the object.
const LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: INCLUDE_DIRS,
};

function loadServices() {
  const definition = protoLoader.loadSync(PROTO_FILES, LOADER_OPTIONS);
  return grpc.loadPackageDefinition(definition).tradepact.v1;
}

// Promise wrapper around a unary call, with a deadline.
function call(client, method, request) {
  const deadline = new Date(Date.now() + RPC_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    client[method](request, { deadline }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

// A google.type.Date at its precision: 2015-12-20, 2015-12, 2015, or 'unknown'
// (tradepact leaves month and day 0 when the sources do not give them; an
// unset date is null).
function formatDate(date) {
  if (!date || !date.year) return 'unknown';
  const pad = (n, width) => String(n).padStart(width, '0');
  if (!date.month) return pad(date.year, 4);
  if (!date.day) return `${pad(date.year, 4)}-${pad(date.month, 2)}`;
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

async function listInForce(tradepact, addr, party) {
  const client = new tradepact.AgreementService(addr, grpc.credentials.createInsecure());
  try {
    console.log(`Agreements of ${party} in force`);
    const request = {
      party,
      status: 'AGREEMENT_STATUS_IN_FORCE',
      page_size: PAGE_SIZE,
      page_token: '',
    };
    let count = 0;
    for (;;) {
      const response = await call(client, 'ListAgreements', request);
      for (const agreement of response.agreements) {
        count += 1;
        // status_since is the date of the event that put the agreement in its
        // current status: here, its entry into force.
        const inForce = formatDate(agreement.status_since);
        console.log(`  ${agreement.id.padEnd(22)} ${inForce.padEnd(10)}  ${agreement.name}`);
      }
      if (!response.next_page_token) break;
      request.page_token = response.next_page_token;
    }
    console.log(`  (${count} agreements)`);
  } finally {
    client.close();
  }
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

async function bilateralTrade(tradepact, addr, reporter, partner) {
  const client = new tradepact.TradeService(addr, grpc.credentials.createInsecure());
  try {
    const response = await call(client, 'GetBilateralTrade', { reporter, partner });
    console.log(
      `${reporter}–${partner} trade, US$ million ` +
        `(exports = ${reporter} → ${partner}; growth = total vs the previous year)`,
    );
    printTradeTable(`as ${reporter} reports it (years)`, response.years);
    printTradeTable(`as ${partner} reports it (mirror_years)`, response.mirror_years);
  } finally {
    client.close();
  }
}

// The google.rpc types, for decoding error details: a protobufjs Root that
// resolves imports against INCLUDE_DIRS (google/protobuf/*.proto are built in).
function loadErrorTypes() {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (path.isAbsolute(target)) return target;
    for (const dir of INCLUDE_DIRS) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target; // google/protobuf/*.proto: protobufjs's bundled copies
  };
  root.loadSync(ERROR_PROTO_FILES, { keepCase: true });
  return root;
}

// The error details of a failed call: the google.rpc.Status that the server
// put in the `grpc-status-details-bin` trailer, with each Any detail unpacked
// by its type URL. null when the call carried none.
function errorDetails(errorTypes, error) {
  const [encoded] = error.metadata ? error.metadata.get('grpc-status-details-bin') : [];
  if (!encoded) return null;
  const Status = errorTypes.lookupType('google.rpc.Status');
  const status = Status.decode(encoded);
  const details = status.details.map((any) => {
    // "type.googleapis.com/google.rpc.ErrorInfo" -> google.rpc.ErrorInfo
    const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
    let type;
    try {
      type = errorTypes.lookupType(typeName);
    } catch {
      return { typeName, message: null }; // a type this client does not know: skip it
    }
    const message = type.toObject(type.decode(any.value), {
      longs: String,
      enums: String,
      defaults: true,
    });
    return { typeName, message };
  });
  return { code: status.code, message: status.message, details };
}

function printErrorDetails(errorTypes, error) {
  const code = Object.keys(grpc.status).find((name) => grpc.status[name] === error.code);
  console.log(`  status: ${code}: ${error.details}`);
  const status = errorDetails(errorTypes, error);
  if (status === null) {
    console.log('  (no error details)');
    return false;
  }
  for (const { typeName, message } of status.details) {
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
      console.log(`  (a detail of type ${typeName})`);
    }
  }
  return true;
}

// Sends ListAgreements with a negative page size and prints the details of the
// INVALID_ARGUMENT answer. Resolves to false when the call did not fail with
// details.
async function badRequest(tradepact, errorTypes, addr) {
  const client = new tradepact.AgreementService(addr, grpc.credentials.createInsecure());
  try {
    console.log('Error details of a bad request (ListAgreements with page_size -1)');
    try {
      await call(client, 'ListAgreements', { page_size: -1 });
    } catch (error) {
      if (
        error.code === undefined ||
        error.code === grpc.status.UNAVAILABLE ||
        error.code === grpc.status.DEADLINE_EXCEEDED
      ) {
        throw error;
      }
      return printErrorDetails(errorTypes, error);
    }
    console.log('  the server accepted page_size -1');
    return false;
  } finally {
    client.close();
  }
}

async function main() {
  const usage = 'usage: node example.js [--addr HOST:PORT]   (default: localhost:50051)';
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        addr: { type: 'string', default: 'localhost:50051' },
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
  const tradepact = loadServices();
  const errorTypes = loadErrorTypes();
  try {
    await listInForce(tradepact, values.addr, 'KOR');
    console.log();
    await bilateralTrade(tradepact, values.addr, 'KOR', 'KHM');
    console.log();
    if (!(await badRequest(tradepact, errorTypes, values.addr))) {
      console.error(`${values.addr}: no error details for a bad request`);
      return 1;
    }
  } catch (error) {
    if (error.code === undefined) throw error;
    const code = Object.keys(grpc.status).find((name) => grpc.status[name] === error.code);
    console.error(`${values.addr}: ${code}: ${error.details}`);
    return 1;
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
