// Type definitions for tradepact-client (hand-written; index.js is the code).
//
// The answer shapes follow the .proto messages in proto/tradepact/v1 as
// @grpc/proto-loader decodes them with the options index.js uses: field names
// as in the .proto files (snake_case), enums as their full names, 64-bit
// integers as strings, unset message fields null, unset `optional` fields
// absent (hence `?:`), every other scalar and list present with its default.

import type { ChannelCredentials, ChannelOptions, Channel, Client as GrpcClient } from '@grpc/grpc-js';

// --- common ---------------------------------------------------------------------

/** google.type.Date: month and day are 0 when the sources do not give them. */
export interface DateValue {
  year: number;
  month: number;
  day: number;
}

/** A date argument: 'YYYY-MM-DD' (or 'YYYY-MM', 'YYYY'), a DateValue, or a JS Date (its UTC day). */
export type DateInput = string | { year: number; month?: number; day?: number } | Date;

/** google.protobuf.Timestamp (seconds as a decimal string). */
export interface Timestamp {
  seconds: string;
  nanos: number;
}

/** google.protobuf.Duration (seconds as a decimal string). */
export interface Duration {
  seconds: string;
  nanos: number;
}

/** tradepact.v1.Source: where a fact or figure comes from. */
export interface Source {
  title: string;
  publisher: string;
  url: string;
  publish_date: DateValue | null;
  retrieve_time: Timestamp | null;
  license: string;
  redistributable: boolean;
}

export type PartyKind = 'PARTY_KIND_UNSPECIFIED' | 'PARTY_KIND_ECONOMY' | 'PARTY_KIND_GROUP';

/** tradepact.v1.Party: an economy (ISO 3166-1 alpha-3) or a group ("ASEAN"). */
export interface Party {
  code: string;
  kind: PartyKind;
}

// --- agreements -------------------------------------------------------------------

export type AgreementStatus =
  | 'AGREEMENT_STATUS_UNSPECIFIED'
  | 'AGREEMENT_STATUS_PROPOSED'
  | 'AGREEMENT_STATUS_JOINT_STUDY'
  | 'AGREEMENT_STATUS_NEGOTIATING'
  | 'AGREEMENT_STATUS_SUSPENDED'
  | 'AGREEMENT_STATUS_CONCLUDED'
  | 'AGREEMENT_STATUS_SIGNED'
  | 'AGREEMENT_STATUS_IN_FORCE'
  | 'AGREEMENT_STATUS_TERMINATED'
  | 'AGREEMENT_STATUS_PROVISIONALLY_APPLIED';

export type AgreementKind =
  | 'AGREEMENT_KIND_UNSPECIFIED'
  | 'AGREEMENT_KIND_FREE_TRADE_AGREEMENT'
  | 'AGREEMENT_KIND_CUSTOMS_UNION'
  | 'AGREEMENT_KIND_ECONOMIC_INTEGRATION_AGREEMENT'
  | 'AGREEMENT_KIND_PARTIAL_SCOPE_AGREEMENT'
  | 'AGREEMENT_KIND_DIGITAL_TRADE_AGREEMENT'
  | 'AGREEMENT_KIND_FRAMEWORK_AGREEMENT'
  | 'AGREEMENT_KIND_AMENDMENT';

export type MeetingFormat =
  | 'MEETING_FORMAT_UNSPECIFIED'
  | 'MEETING_FORMAT_IN_PERSON'
  | 'MEETING_FORMAT_VIRTUAL'
  | 'MEETING_FORMAT_HYBRID';

export type EventKind =
  | 'EVENT_KIND_UNSPECIFIED'
  | 'EVENT_KIND_PROPOSED'
  | 'EVENT_KIND_JOINT_STUDY'
  | 'EVENT_KIND_LAUNCHED'
  | 'EVENT_KIND_ROUND'
  | 'EVENT_KIND_SUSPENDED'
  | 'EVENT_KIND_RESUMED'
  | 'EVENT_KIND_CONCLUDED'
  | 'EVENT_KIND_INITIALLED'
  | 'EVENT_KIND_SIGNED'
  | 'EVENT_KIND_RATIFIED'
  | 'EVENT_KIND_ENTERED_INTO_FORCE'
  | 'EVENT_KIND_NOTIFIED_TO_WTO'
  | 'EVENT_KIND_JOINT_COMMITTEE'
  | 'EVENT_KIND_TERMINATED'
  | 'EVENT_KIND_PROVISIONALLY_APPLIED'
  | 'EVENT_KIND_OTHER';

export type AgreementView = 'AGREEMENT_VIEW_UNSPECIFIED' | 'AGREEMENT_VIEW_BASIC' | 'AGREEMENT_VIEW_FULL';

/** A date that another source gives for the same event. */
export interface AlternativeDate {
  start: DateValue | null;
  end: DateValue | null;
  sources: Source[];
}

/** tradepact.v1.AgreementEvent: one dated step in an agreement's history. */
export interface AgreementEvent {
  kind: EventKind;
  start: DateValue | null;
  end: DateValue | null;
  /** The official round number; absent when the sources give none. */
  round_number?: number;
  format: MeetingFormat;
  venue: string;
  /** The party this event concerns; null when it concerns all parties. */
  party: Party | null;
  note: string;
  sources: Source[];
  conflicts: AlternativeDate[];
}

/** tradepact.v1.Agreement. `events` and `sources` are empty in the basic view. */
export interface Agreement {
  id: string;
  name: string;
  designation: string;
  parties: Party[];
  status: AgreementStatus;
  status_since: DateValue | null;
  events: AgreementEvent[];
  sources: Source[];
  note: string;
  kinds: AgreementKind[];
}

// --- trade ------------------------------------------------------------------------

export type TradeFlow = 'TRADE_FLOW_UNSPECIFIED' | 'TRADE_FLOW_EXPORT' | 'TRADE_FLOW_IMPORT' | 'TRADE_FLOW_TOTAL';

/**
 * tradepact.v1.TradeYear, from the request's reporter's point of view, in
 * current US dollars. A figure the sources do not give is absent (never 0).
 */
export interface TradeYear {
  year: number;
  exports_usd?: number;
  imports_usd?: number;
  total_usd?: number;
  balance_usd?: number;
  exports_growth_pct?: number;
  imports_growth_pct?: number;
  total_growth_pct?: number;
  /** Which economy reported these figures (alpha-3). */
  reported_by: string;
  sources: Source[];
  alternatives: TradeYear[];
  note: string;
}

export interface BilateralTrade {
  /** As the reporter reports it. */
  years: TradeYear[];
  /** As the partner reports it, re-expressed from the reporter's point of view. */
  mirror_years: TradeYear[];
}

export interface PartnerRank {
  rank?: number;
  partners: string[];
  value_usd?: number;
  share_pct?: number;
  note: string;
}

export interface PartnerRanking {
  /** Computed from complete partner figures. */
  entries: PartnerRank[];
  partner_count?: number;
  sources: Source[];
  combined_share_pct?: number;
  /** As an official source states them. */
  quoted_entries: PartnerRank[];
}

export interface ProductShare {
  hs_code: string;
  description: string;
  value_usd?: number;
  share_pct?: number;
}

/** Every page of GetProductBreakdown in one (next_page_token is ''). */
export interface ProductBreakdown {
  products: ProductShare[];
  sources: Source[];
  /** True for an official list of main products rather than computed figures. */
  quoted: boolean;
  next_page_token: string;
  total_size: number;
}

// --- indicators -------------------------------------------------------------------

export interface IndicatorPoint {
  year: number;
  /** Absent when the source publishes the year without a value. */
  value?: number;
  vintage: DateValue | null;
  sources: Source[];
}

export interface IndicatorSeries {
  name: string;
  unit: string;
  points: IndicatorPoint[];
  vintages: DateValue[];
}

// --- catalog ----------------------------------------------------------------------

export interface EconomyInfo {
  code: string;
  kind: PartyKind;
  iso2: string;
  numeric?: number;
  name: string;
  official_name: string;
  aliases: string[];
  groups: string[];
  members: string[];
  held: boolean;
}

export interface IndicatorInfo {
  code: string;
  name: string;
  unit: string;
  source: string;
  economies: string[];
  first_year?: number;
  last_year?: number;
  vintages: DateValue[];
}

export interface SourceFreshness {
  name: string;
  enabled: boolean;
  last_success_time: Timestamp | null;
  stale: boolean;
  max_age: Duration | null;
}

export interface ServerInfo {
  version: string;
  build: string;
  start_time: Timestamp | null;
  dataset_version: string;
  sources: SourceFreshness[];
  settings: { [name: string]: string };
}

// --- arguments ----------------------------------------------------------------------

/** An enum argument: its number, full name, or short name in any case ('in_force', 'export'). */
export type EnumInput<Full extends string> = Full | number | (string & {});

/** The load-balancing policies a Client can use. */
export type LoadBalancingPolicy = 'round_robin' | 'pick_first';

export interface ClientOptions {
  /** TLS credentials (grpc.credentials.createSsl(...)); plaintext when absent. */
  credentials?: ChannelCredentials;
  /** Deadline of each call in ms (each page of a listing is one call); null for none. Default 10000. */
  timeoutMs?: number | null;
  /** grpc-js channel options (the load-balancing service config is added to them). */
  channelOptions?: ChannelOptions;
  /**
   * 'round_robin' (calls spread over every address the target resolves to) or
   * 'pick_first' (one address). Default: round_robin for a 'dns:' target
   * ('dns:///tradepact-readers.<namespace>.svc.cluster.local:50051'), grpc-js's
   * default otherwise; nothing is added when channelOptions set 'grpc.service_config'.
   */
  loadBalancing?: LoadBalancingPolicy;
  /** Load the contract from these directories instead of the package's own copy. */
  includeDirs?: string[];
}

export interface AgreementsOptions {
  /** An economy or group: 'KOR', 'kr', '410', 'South Korea', 'ASEAN'. */
  party?: string;
  /** 'in_force', 'negotiating', 'signed'...; any status when absent. */
  status?: EnumInput<AgreementStatus>;
  /** Evaluate statuses on this full date; today when absent. */
  asOf?: DateInput;
  /** 'basic' (default) or 'full'. */
  view?: EnumInput<AgreementView>;
  /** Words each of which must appear in the name, id or designation, or name a party. */
  query?: string;
  pageSize?: number;
}

export interface AgreementOptions {
  asOf?: DateInput;
  /** 'full' (default) or 'basic'. */
  view?: EnumInput<AgreementView>;
}

export interface YearRange {
  startYear?: number;
  endYear?: number;
}

export interface RankPartnersOptions {
  /** These partners' ranks instead of the top list. */
  partners?: Iterable<string>;
  /** How many of the top partners (default 10). */
  limit?: number;
}

export interface ProductsOptions {
  /** HS level: 2, 4 or 6; absent: HS2 lines, or the quoted list where only that is held. */
  hsDigits?: number;
  pageSize?: number;
}

export interface IndicatorSeriesOptions extends YearRange {
  /** Read this release (a full date); the latest vintage of each year when absent. */
  vintage?: DateInput;
}

export interface EconomiesOptions {
  /** Only those whose code, name or alias contains this text ('cambodia'). */
  query?: string;
  /** Groups and members as on this full date. */
  asOf?: DateInput;
  pageSize?: number;
}

// --- errors -------------------------------------------------------------------------

export interface FieldViolation {
  /** The request field, as named in the .proto file ('page_size'). */
  field: string;
  description: string;
  reason: string;
}

export interface ErrorDetail {
  /** 'google.rpc.ErrorInfo', 'google.rpc.BadRequest', 'google.rpc.ResourceInfo'... */
  typeName: string;
  /** The decoded detail; null for a type this client does not know. */
  message: { [field: string]: unknown } | null;
}

/** A failed call, with the server's google.rpc error details read. */
export class TradepactError extends Error {
  name: 'TradepactError';
  /** The gRPC status code (see grpc.status). */
  code: number;
  /** 'INVALID_ARGUMENT', 'NOT_FOUND'... */
  codeName: string;
  /** The status message. */
  details: string;
  /** ErrorInfo.reason: 'FIELD_INVALID', 'AGREEMENT_NOT_FOUND'...; null without one. */
  reason: string | null;
  /** ErrorInfo.domain ('tradepact.dev'); null without one. */
  domain: string | null;
  metadata: { [key: string]: string };
  fieldViolations: FieldViolation[];
  resourceType: string | null;
  resourceName: string | null;
  errorDetails: ErrorDetail[];
  /** The grpc-js ServiceError. */
  cause?: unknown;
}

// --- the client ---------------------------------------------------------------------

/** A tradepact client. Every method returns a Promise that rejects with TradepactError. */
export class Client {
  constructor(target: string, options?: ClientOptions);
  /** The address this client talks to. */
  readonly target: string;
  /** Deadline of each call in ms; null for none. */
  timeoutMs: number | null;
  /** The channel every stub shares. */
  readonly channel: Channel;
  /** grpc-js stubs of the services, for methods this client does not wrap. */
  readonly stubs: {
    agreements: GrpcClient;
    trade: GrpcClient;
    indicators: GrpcClient;
    catalog: GrpcClient;
  };
  /** Closes the channel. */
  close(): void;

  /** ListAgreements, every page. */
  agreements(options?: AgreementsOptions): Promise<Agreement[]>;
  /** GetAgreement. */
  agreement(id: string, options?: AgreementOptions): Promise<Agreement>;
  /** ListNegotiationRounds, every page. */
  rounds(agreementId: string, options?: { pageSize?: number }): Promise<AgreementEvent[]>;
  /** GetBilateralTrade. */
  bilateralTrade(reporter: string, partner: string, options?: YearRange): Promise<BilateralTrade>;
  /** RankPartners; flow 'export', 'import' or 'total'. */
  rankPartners(
    reporter: string,
    year: number,
    flow: EnumInput<TradeFlow>,
    options?: RankPartnersOptions,
  ): Promise<PartnerRanking>;
  /** GetProductBreakdown, every page in one; flow 'export' or 'import'. */
  products(
    reporter: string,
    partner: string,
    year: number,
    flow: EnumInput<TradeFlow>,
    options?: ProductsOptions,
  ): Promise<ProductBreakdown>;
  /** GetIndicatorSeries. */
  indicatorSeries(economy: string, indicator: string, options?: IndicatorSeriesOptions): Promise<IndicatorSeries>;
  /** ListEconomies, every page. */
  economies(options?: EconomiesOptions): Promise<EconomyInfo[]>;
  /** ListIndicators. */
  indicators(): Promise<IndicatorInfo[]>;
  /** GetServerInfo. */
  serverInfo(): Promise<ServerInfo>;
}

/** A DateValue as ISO text at its precision ('2015-12-20', '2015-12', '2015'); null when unset. */
export function formatDate(date: DateValue | null | undefined): string | null;

/** The default deadline of each call: 10000 ms. */
export const DEFAULT_TIMEOUT_MS: number;

/** The load-balancing policies `loadBalancing` accepts. */
export const LOAD_BALANCING_POLICIES: readonly LoadBalancingPolicy[];

/**
 * The channel options a Client opens `target` with: `channelOptions` plus the
 * service config of the load-balancing policy (round_robin by default for a
 * 'dns:' target), for channels of your own.
 */
export function channelOptionsFor(
  target: string,
  channelOptions?: ChannelOptions,
  loadBalancing?: LoadBalancingPolicy,
): ChannelOptions;

/** The directory holding the package's copy of the contract. */
export const PROTO_DIR: string;
