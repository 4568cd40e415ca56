// tradepact-client: a thin Node.js client for the tradepact gRPC service.
//
//   const { Client, TradepactError } = require('tradepact-client');
//   const client = new Client('localhost:50051');
//   // read replicas: round_robin over every address of a dns:/// target
//   const readers = new Client('dns:///tradepact-readers.default.svc.cluster.local:50051');
//   const agreements = await client.agreements({ party: 'KOR', status: 'in_force' });
//   const trade = await client.bilateralTrade('KOR', 'KHM', { startYear: 2019, endYear: 2019 });
//   client.close();
//
// Built on @grpc/grpc-js and @grpc/proto-loader. The contract is loaded at run
// time from the .proto files shipped in this package (proto/, copied from the
// repository by scripts/copy-protos.js when the package is prepared or packed),
// so there is no generated code. Answers are plain objects shaped as the
// .proto messages (index.d.ts types them):
//
//   - field names as in the .proto files (snake_case: `mirror_years`);
//   - enums as their full names (`AGREEMENT_STATUS_IN_FORCE`);
//   - 64-bit integers (Timestamp and Duration `seconds`) as strings;
//   - unset scalars and lists have their defaults ('' / 0 / false / []), an
//     unset message field is null, and an unset `optional` field (a figure the
//     sources do not give, e.g. TradeYear.exports_usd) is absent: never 0;
//   - a google.type.Date is `{ year, month, day }` with month and day 0 when
//     the sources do not give them (`formatDate` prints it at its precision).
//
// Failed calls reject with a TradepactError carrying the google.rpc error
// details the server attaches (ErrorInfo reason, BadRequest field violations,
// ResourceInfo).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

/** Where the package's copy of the contract lives. */
const PROTO_DIR = path.join(__dirname, 'proto');
const CONTRACT_DIR = path.join('tradepact', 'v1');
const ERROR_PROTO_FILES = ['google/rpc/status.proto', 'google/rpc/error_details.proto'];
/** The deadline of each call unless the Client is given another: 10 s. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** The load-balancing policies `new Client(target, { loadBalancing })` accepts. */
const LOAD_BALANCING_POLICIES = ['round_robin', 'pick_first'];

// The methods retried on UNAVAILABLE: every question, none that changes
// anything (TriggerRefresh is not retried). A stream is retried only until its
// first answer arrives.
const RETRIED_METHODS = [
  { service: 'tradepact.v1.AgreementService' },
  { service: 'tradepact.v1.CatalogService' },
  { service: 'tradepact.v1.IndicatorService' },
  { service: 'tradepact.v1.TradeService' },
  { service: 'tradepact.v1.RefreshService', method: 'ListSources' },
  { service: 'tradepact.v1.RefreshService', method: 'GetRefreshRun' },
  { service: 'tradepact.v1.RefreshService', method: 'ListRefreshRuns' },
  { service: 'tradepact.v1.RefreshService', method: 'WatchChanges' },
];

// gRPC's own retries, in the service config a Client sets with its
// load-balancing policy: a read replica answers UNAVAILABLE while it restores
// its copy (REPLICA_RESTORING), loads at start (STILL_LOADING) or stops
// (SHUTTING_DOWN), and with round_robin the retry goes to the next replica.
const RETRY_POLICY = {
  maxAttempts: 3,
  initialBackoff: '0.05s',
  maxBackoff: '0.5s',
  backoffMultiplier: 2,
  retryableStatusCodes: ['UNAVAILABLE'],
};

const LOADER_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  // An unset `optional` field is absent rather than defaulted, and no
  // virtual `_field` oneof properties are added.
  oneofs: false,
};

// --- loading the contract ---------------------------------------------------------

const loaded = new Map();

// The contract's package definition, its services and the google.rpc types for
// error details, loaded once per list of include directories.
function loadContract(includeDirs) {
  const key = JSON.stringify(includeDirs);
  if (loaded.has(key)) return loaded.get(key);
  const contractDir = includeDirs
    .map((dir) => path.join(dir, CONTRACT_DIR))
    .find((dir) => fs.existsSync(dir));
  if (contractDir === undefined) {
    throw new Error(
      `tradepact-client: no ${CONTRACT_DIR} in ${includeDirs.join(', ')}: ` +
        'the package was not prepared (run `npm run prepare` in clients/node, ' +
        'or install the packed tarball)',
    );
  }
  const files = fs
    .readdirSync(contractDir)
    .filter((name) => name.endsWith('.proto'))
    .sort()
    .map((name) => path.posix.join('tradepact', 'v1', name));
  const definition = protoLoader.loadSync(files, { ...LOADER_OPTIONS, includeDirs });
  const contract = {
    definition,
    services: grpc.loadPackageDefinition(definition).tradepact.v1,
    errorTypes: loadErrorTypes(includeDirs),
  };
  loaded.set(key, contract);
  return contract;
}

// A protobufjs Root with google.rpc.Status and the error details, resolving
// imports against `includeDirs` (google/protobuf/*.proto are built in).
function loadErrorTypes(includeDirs) {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (path.isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const candidate = path.join(dir, target);
      if (fs.existsSync(candidate)) return candidate;
    }
    return target; // google/protobuf/*.proto: protobufjs's bundled copies
  };
  root.loadSync(ERROR_PROTO_FILES, { keepCase: true });
  return root;
}

// --- arguments --------------------------------------------------------------------

// The full name of an enum value given as a number, its full name
// ("TRADE_FLOW_EXPORT") or its short name in any case ("export", "in-force");
// undefined/null is UNSPECIFIED. Throws a TypeError or RangeError naming
// `field` otherwise (grpc-js would silently send an unknown name as 0).
function enumName(definition, typeName, prefix, value, field) {
  const values = definition[`tradepact.v1.${typeName}`].type.value;
  if (value === undefined || value === null) return values.find((v) => v.number === 0).name;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError(`${field}: ${value} is not an integer`);
    const known = values.find((v) => v.number === value);
    return known ? known.name : value;
  }
  if (typeof value !== 'string') {
    throw new TypeError(`${field}: expected a ${typeName} name or number, not ${typeof value}`);
  }
  let name = value.trim().replace(/[\s-]+/g, '_').toUpperCase();
  if (!name.startsWith(prefix)) name = prefix + name;
  if (values.some((v) => v.name === name)) return name;
  const accepted = values
    .filter((v) => !v.name.endsWith('_UNSPECIFIED'))
    .map((v) => v.name.slice(prefix.length).toLowerCase())
    .join(', ');
  throw new RangeError(`${field}: unknown value ${JSON.stringify(value)}; one of: ${accepted}`);
}

// A google.type.Date from `value`: undefined/null (unset), 'YYYY-MM-DD' (or
// 'YYYY-MM', 'YYYY'), a { year, month, day } object, or a JS Date (its UTC
// calendar day).
function dateMessage(value, field) {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RangeError(`${field}: invalid Date`);
    return { year: value.getUTCFullYear(), month: value.getUTCMonth() + 1, day: value.getUTCDate() };
  }
  if (typeof value === 'string') {
    const match = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$/.exec(value.trim());
    if (!match) {
      throw new RangeError(`${field}: ${JSON.stringify(value)} is not a date as YYYY-MM-DD (or YYYY-MM, YYYY)`);
    }
    const [year, month, day] = match.slice(1).map((part) => (part ? Number(part) : 0));
    return { year, month, day };
  }
  if (typeof value === 'object' && typeof value.year === 'number') {
    return { year: value.year, month: value.month || 0, day: value.day || 0 };
  }
  throw new TypeError(`${field}: expected 'YYYY-MM-DD', { year, month, day } or a Date`);
}

/**
 * A google.type.Date as ISO 8601 text at its precision: '2015-12-20',
 * '2015-12' (day not known), '2015' (month not known); null for an unset or
 * all-zero date.
 */
function formatDate(date) {
  if (!date || !date.year) return null;
  const pad = (n, width) => String(n).padStart(width, '0');
  if (!date.month) return pad(date.year, 4);
  if (!date.day) return `${pad(date.year, 4)}-${pad(date.month, 2)}`;
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

// --- errors -----------------------------------------------------------------------

const STATUS_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name]));

/**
 * A failed tradepact call, with the google.rpc error details the server put in
 * the `grpc-status-details-bin` trailer. Every Client method rejects with one;
 * the grpc-js error is its `cause`.
 */
class TradepactError extends Error {
  constructor(fields, cause) {
    const { code, details } = fields;
    super(`${STATUS_NAMES[code] || code}: ${details}`, cause === undefined ? undefined : { cause });
    this.name = 'TradepactError';
    /** The gRPC status code (a number; see grpc.status). */
    this.code = code;
    /** Its name: 'INVALID_ARGUMENT', 'NOT_FOUND'... */
    this.codeName = STATUS_NAMES[code] || String(code);
    /** The status message, for people ('page_size: -1 is negative'). */
    this.details = details;
    /** ErrorInfo.reason, for programs (FIELD_INVALID, AGREEMENT_NOT_FOUND...); null without one. */
    this.reason = null;
    /** ErrorInfo.domain ('tradepact.dev'); null without one. */
    this.domain = null;
    /** ErrorInfo.metadata ({ field: 'page_size' }). */
    this.metadata = {};
    /** BadRequest.field_violations: [{ field, description, reason }]. */
    this.fieldViolations = [];
    /** ResourceInfo.resource_type of a NOT_FOUND answer; null otherwise. */
    this.resourceType = null;
    /** ResourceInfo.resource_name of a NOT_FOUND answer; null otherwise. */
    this.resourceName = null;
    /** Every detail, decoded: [{ typeName: 'google.rpc.ErrorInfo', message: {...} }]; message null for a type this client does not know. */
    this.errorDetails = [];
  }

  /** Reads a grpc-js ServiceError (code, details and the details trailer). */
  static fromServiceError(error, errorTypes) {
    if (error === null || typeof error !== 'object' || typeof error.code !== 'number') {
      return error; // not a gRPC status: a bug, passed on as it is
    }
    const found = new TradepactError({ code: error.code, details: error.details || '' }, error);
    const [encoded] = error.metadata ? error.metadata.get('grpc-status-details-bin') : [];
    if (!encoded || !errorTypes) return found;
    let status;
    try {
      status = errorTypes.lookupType('google.rpc.Status').decode(encoded);
    } catch {
      return found; // not a google.rpc.Status: keep the call's own code and message
    }
    for (const any of status.details) {
      const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
      let type;
      try {
        type = errorTypes.lookupType(typeName);
      } catch {
        found.errorDetails.push({ typeName, message: null });
        continue;
      }
      const message = type.toObject(type.decode(any.value), { longs: String, enums: String, defaults: true });
      found.errorDetails.push({ typeName, message });
      if (typeName === 'google.rpc.ErrorInfo') {
        found.reason = message.reason;
        found.domain = message.domain;
        found.metadata = { ...message.metadata };
      } else if (typeName === 'google.rpc.BadRequest') {
        for (const v of message.field_violations) {
          found.fieldViolations.push({ field: v.field, description: v.description, reason: v.reason || '' });
        }
      } else if (typeName === 'google.rpc.ResourceInfo') {
        found.resourceType = message.resource_type;
        found.resourceName = message.resource_name;
      }
    }
    return found;
  }
}

// --- the channel --------------------------------------------------------------------

/**
 * The grpc-js channel options a Client opens `target` with: `channelOptions`
 * plus a service config choosing the load-balancing policy.
 *
 * `loadBalancing` 'round_robin' spreads calls over every address the target
 * resolves to; 'pick_first' uses one. Undefined: 'round_robin' for a `dns:`
 * target ('dns:///tradepact-readers.<namespace>.svc.cluster.local:50051', a
 * headless Service of read replicas: deploy/REPLICAS.md), grpc-js's default
 * (pick_first) for any other, and `channelOptions` unchanged when they already
 * set 'grpc.service_config'. The service config also retries the questions on
 * UNAVAILABLE (RETRY_POLICY, RETRIED_METHODS). Throws a RangeError for an unknown policy and a
 * TypeError for both `loadBalancing` and 'grpc.service_config'.
 */
function channelOptionsFor(target, channelOptions = {}, loadBalancing = undefined) {
  const chosen = channelOptions['grpc.service_config'] !== undefined;
  let policy = loadBalancing;
  if (policy === undefined || policy === null) {
    if (chosen || !String(target).startsWith('dns:')) return { ...channelOptions };
    policy = 'round_robin';
  } else if (!LOAD_BALANCING_POLICIES.includes(policy)) {
    throw new RangeError(
      `loadBalancing: unknown policy ${JSON.stringify(policy)}; one of: ${LOAD_BALANCING_POLICIES.join(', ')}`,
    );
  } else if (chosen) {
    throw new TypeError(`loadBalancing '${policy}' and channelOptions['grpc.service_config']: give one`);
  }
  return {
    ...channelOptions,
    'grpc.service_config': JSON.stringify({
      loadBalancingConfig: [{ [policy]: {} }],
      methodConfig: [{ name: RETRIED_METHODS, retryPolicy: RETRY_POLICY }],
    }),
  };
}

// --- the client -------------------------------------------------------------------

/**
 * A tradepact client: one method per question, each returning a Promise.
 * Listing methods follow `next_page_token` to the end and resolve to arrays.
 */
class Client {
  /**
   * @param {string} target 'host:port', or 'dns:///host:port' for every
   *   address of a name (read replicas behind a Kubernetes headless Service)
   * @param {object} [options]
   * @param {grpc.ChannelCredentials} [options.credentials] TLS credentials
   *   (grpc.credentials.createSsl(...)); plaintext when absent.
   * @param {number|null} [options.timeoutMs] deadline of each call (each page
   *   of a listing is one call); null for none. Default 10000.
   * @param {object} [options.channelOptions] grpc-js channel options (the
   *   load-balancing service config is added to them, see loadBalancing).
   * @param {'round_robin'|'pick_first'} [options.loadBalancing] the
   *   load-balancing policy; by default round_robin for a `dns:` target,
   *   grpc-js's default (pick_first) otherwise (see channelOptionsFor).
   * @param {string[]} [options.includeDirs] where to load the contract from
   *   instead of the package's own copy: directories holding
   *   tradepact/v1/*.proto and google/{type,rpc}/*.proto.
   */
  constructor(target, options = {}) {
    const {
      credentials = grpc.credentials.createInsecure(),
      timeoutMs = DEFAULT_TIMEOUT_MS,
      channelOptions = {},
      loadBalancing,
      includeDirs = [PROTO_DIR],
    } = options;
    /** The address this client talks to. */
    this.target = target;
    /** The deadline of each call in milliseconds; null for none. */
    this.timeoutMs = timeoutMs;
    const contract = loadContract(includeDirs);
    this._definition = contract.definition;
    this._errorTypes = contract.errorTypes;
    /** The grpc-js channel every stub shares. */
    this.channel = new grpc.Channel(target, credentials, channelOptionsFor(target, channelOptions, loadBalancing));
    const stub = (Service) => new Service(target, credentials, { channelOverride: this.channel });
    /**
     * grpc-js stubs of the four services, for methods this client does not
     * wrap: { agreements, trade, indicators, catalog }.
     */
    this.stubs = {
      agreements: stub(contract.services.AgreementService),
      trade: stub(contract.services.TradeService),
      indicators: stub(contract.services.IndicatorService),
      catalog: stub(contract.services.CatalogService),
    };
  }

  /** Closes the channel; calls after this fail. */
  close() {
    this.channel.close();
  }

  // One unary call with the deadline; failures reject with TradepactError.
  _call(service, method, request) {
    const callOptions = this.timeoutMs === null ? {} : { deadline: new Date(Date.now() + this.timeoutMs) };
    return new Promise((resolve, reject) => {
      this.stubs[service][method](request, callOptions, (error, response) => {
        if (error) reject(TradepactError.fromServiceError(error, this._errorTypes));
        else resolve(response);
      });
    });
  }

  // Every page of a listing, following next_page_token.
  async _pages(service, method, request) {
    const pages = [];
    const seen = new Set();
    let pageToken = '';
    for (;;) {
      const page = await this._call(service, method, { ...request, page_token: pageToken });
      pages.push(page);
      if (!page.next_page_token) return pages;
      if (seen.has(page.next_page_token)) {
        throw new Error(`${method}: the server repeated page token ${JSON.stringify(page.next_page_token)}`);
      }
      seen.add(page.next_page_token);
      pageToken = page.next_page_token;
    }
  }

  _enum(typeName, prefix, value, field) {
    return enumName(this._definition, typeName, prefix, value, field);
  }

  /**
   * Agreements matching the filters, in id order, every page (ListAgreements).
   * `party`: an economy or group ('KOR', 'South Korea', 'ASEAN'); `status`:
   * 'in_force', 'negotiating'... on `asOf` (a full date; default today);
   * `view`: 'basic' (default: no events, no sources) or 'full'; `query`:
   * words each of which must appear in the name, id or designation or name
   * a party ('Korea Cambodia').
   */
  async agreements({ party, status, asOf, view, query, pageSize } = {}) {
    const request = {
      party: party || '',
      query: query || '',
      status: this._enum('AgreementStatus', 'AGREEMENT_STATUS_', status, 'status'),
      as_of: dateMessage(asOf, 'asOf'),
      view: this._enum('AgreementView', 'AGREEMENT_VIEW_', view, 'view'),
      page_size: pageSize || 0,
    };
    const pages = await this._pages('agreements', 'ListAgreements', request);
    return pages.flatMap((page) => page.agreements);
  }

  /**
   * One agreement with its dated events and sources (GetAgreement); as on
   * `asOf` when given. Rejects with NOT_FOUND (reason AGREEMENT_NOT_FOUND)
   * for an unknown id.
   */
  agreement(id, { asOf, view } = {}) {
    return this._call('agreements', 'GetAgreement', {
      id,
      as_of: dateMessage(asOf, 'asOf'),
      view: this._enum('AgreementView', 'AGREEMENT_VIEW_', view, 'view'),
    });
  }

  /** The official negotiation rounds of one agreement, in order, every page (ListNegotiationRounds). */
  async rounds(agreementId, { pageSize } = {}) {
    const request = { agreement_id: agreementId, page_size: pageSize || 0 };
    const pages = await this._pages('agreements', 'ListNegotiationRounds', request);
    return pages.flatMap((page) => page.rounds);
  }

  /**
   * A pair's annual trade from both sides (GetBilateralTrade): `years` as the
   * reporter reports it, `mirror_years` as the partner does.
   */
  bilateralTrade(reporter, partner, { startYear, endYear } = {}) {
    return this._call('trade', 'GetBilateralTrade', {
      reporter,
      partner,
      start_year: startYear || 0,
      end_year: endYear || 0,
    });
  }

  /**
   * Where partners rank among the reporter's destinations ('export'), origins
   * ('import') or trade partners ('total') in `year` (RankPartners).
   */
  rankPartners(reporter, year, flow, { partners, limit } = {}) {
    return this._call('trade', 'RankPartners', {
      reporter,
      year,
      flow: this._enum('TradeFlow', 'TRADE_FLOW_', flow, 'flow'),
      partners: partners ? [...partners] : [],
      limit: limit || 0,
    });
  }

  /**
   * What the reporter mainly exports to ('export') or imports from ('import')
   * the partner, largest first (GetProductBreakdown): one response with the
   * products of every page and the first page's sources, quoted and total_size.
   * `hsDigits`: 2, 4 or 6; absent: the server's default, HS2 lines where
   * computed figures are held, else the quoted list of main products (asking
   * for a level when only a quoted list is held is NOT_FOUND).
   */
  async products(reporter, partner, year, flow, { hsDigits, pageSize } = {}) {
    const request = {
      reporter,
      partner,
      year,
      flow: this._enum('TradeFlow', 'TRADE_FLOW_', flow, 'flow'),
      hs_digits: hsDigits || 0,
      page_size: pageSize || 0,
    };
    const pages = await this._pages('trade', 'GetProductBreakdown', request);
    return { ...pages[0], products: pages.flatMap((page) => page.products), next_page_token: '' };
  }

  /** One indicator's yearly values for one economy (GetIndicatorSeries). */
  indicatorSeries(economy, indicator, { startYear, endYear, vintage } = {}) {
    return this._call('indicators', 'GetIndicatorSeries', {
      economy,
      indicator,
      start_year: startYear || 0,
      end_year: endYear || 0,
      vintage: dateMessage(vintage, 'vintage'),
    });
  }

  /**
   * Economies and groups the server knows, in code order, every page
   * (ListEconomies); only those matching `query` when given.
   */
  async economies({ query, asOf, pageSize } = {}) {
    const request = { query: query || '', as_of: dateMessage(asOf, 'asOf'), page_size: pageSize || 0 };
    const pages = await this._pages('catalog', 'ListEconomies', request);
    return pages.flatMap((page) => page.economies);
  }

  /** Every indicator held or configured for refresh (ListIndicators). */
  async indicators() {
    const response = await this._call('catalog', 'ListIndicators', {});
    return response.indicators;
  }

  /** The server's version, dataset, sources' freshness and settings (GetServerInfo). */
  serverInfo() {
    return this._call('catalog', 'GetServerInfo', {});
  }
}

module.exports = {
  Client,
  TradepactError,
  formatDate,
  channelOptionsFor,
  DEFAULT_TIMEOUT_MS,
  LOAD_BALANCING_POLICIES,
  PROTO_DIR,
};
