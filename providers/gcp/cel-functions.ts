/**
 * The IAM Conditions functions that CEL's standard library (as implemented by @bufbuild/cel) lacks, plus
 * time-zone-correct timestamp getters. Reference: https://cloud.google.com/iam/docs/conditions-attribute-reference
 * and https://cloud.google.com/iam/docs/tags-access-control (tag functions).
 *
 * Functions that read request data (tags, api.getAttribute, compute.*) get it through a FunctionScope that reads
 * the context of the evaluation in progress; evaluation is synchronous, so one slot is enough.
 */
import { celError, celFunc, celMethod, CelScalar, listType, objectType, type CelError, type CelFunc, type CelInput, type CelList } from '@bufbuild/cel';
import { TimestampSchema, timestampFromMs, type Timestamp } from '@bufbuild/protobuf/wkt';

/** Message prefix that marks a CEL error as "this attribute is UNKNOWN", not as a real error. */
export const UNKNOWN_MARK = '\u0000unknown attribute: ';

// Unknown and unavailable attributes are read per request and per condition: their CEL error values are made
// once per message and shared (an Error captures a stack when it is made; CEL errors are never modified).
const SENTINEL_LIMIT = 1_000;
const sentinels = new Map<string, CelError>();

function sentinel(message: string): CelError {
  let e = sentinels.get(message);
  if (!e) {
    if (sentinels.size >= SENTINEL_LIMIT) sentinels.clear();
    sentinels.set(message, (e = celError(message)));
  }
  return e;
}

export function unknownAttribute(path: string): CelError {
  return sentinel(UNKNOWN_MARK + path);
}

export function unavailableAttribute(path: string): CelError {
  return sentinel(`attribute ${path} is not available for this request`);
}

/** What the functions need from the evaluation in progress. */
export interface FunctionScope {
  /** The attribute's value, or undefined when the request does not carry it. */
  value(path: string): unknown;
  isUnknown(path: string): boolean;
  tags(): { byName: Record<string, string>; byId: Record<string, string> } | undefined;
}

/** Attribute path under which the tag functions appear in CompiledCondition.attributes and ConditionContext.unknown. */
export const TAGS_ATTRIBUTE = 'resource.tags';
export const API_ATTRIBUTE_PREFIX = 'api.getAttribute:';
export const FORWARDING_RULE_CREATION = 'compute.isForwardingRuleCreationOperation';
export const LOAD_BALANCING_SCHEME = 'compute.loadBalancingScheme';

const { STRING, BOOL, DYN, INT } = CelScalar;
const TIMESTAMP = objectType(TimestampSchema);
const DYN_LIST = listType(DYN);

// ---------------------------------------------------------------------------------------------------------
// Time. CEL's getters (https://github.com/google/cel-spec/blob/master/doc/langdef.md#timestamp-and-duration)
// take an optional time zone: an IANA name or a fixed "+HH:MM" offset; default UTC. The library's own getters
// rebuild the wall-clock time as a *local* Date, so their results depend on the server's TZ (a wall time that
// falls into the server's DST gap moves by an hour); these compute every field in UTC arithmetic instead.

interface Civil {
  year: number;
  month: number; // 0-11
  day: number; // 1-31
  hours: number;
  minutes: number;
  seconds: number;
  millis: number;
  weekday: number; // 0 = Sunday
  yearDay: number; // 0-based
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();
const FIXED_OFFSET = /^([+-]?)(\d\d):(\d\d)$/;
const DAY_MS = 86_400_000;

function zoneFormat(tz: string): Intl.DateTimeFormat {
  let f = zoneFormats.get(tz);
  if (!f) {
    // Throws RangeError for an unknown zone: the getter then yields a CEL error (the condition cannot grant).
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormats.set(tz, f);
  }
  return f;
}

// Conditions of one request read the same request.time in the same zone repeatedly; Intl formatting is the slow part.
let lastWallClock: { ms: number; tz: string; wall: number } | undefined;

/** Milliseconds since the epoch of the wall-clock time in `tz`, read as if it were UTC. */
function wallClockMs(ms: number, tz: string | undefined): number {
  if (tz === undefined) return ms;
  if (lastWallClock?.ms === ms && lastWallClock.tz === tz) return lastWallClock.wall;
  const wall = zoneWallClockMs(ms, tz);
  lastWallClock = { ms, tz, wall };
  return wall;
}

function zoneWallClockMs(ms: number, tz: string): number {
  const fixed = FIXED_OFFSET.exec(tz);
  if (fixed) {
    const offset = (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000;
    return fixed[1] === '-' ? ms - offset : ms + offset;
  }
  const p: Record<string, number> = {};
  for (const part of zoneFormat(tz).formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const millis = ((ms % 1000) + 1000) % 1000;
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!, millis);
}

function civil(ts: Timestamp, tz?: string): Civil {
  const ms = Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1_000_000);
  const d = new Date(wallClockMs(ms, tz));
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const day = d.getUTCDate();
  return {
    year,
    month,
    day,
    hours: d.getUTCHours(),
    minutes: d.getUTCMinutes(),
    seconds: d.getUTCSeconds(),
    millis: d.getUTCMilliseconds(),
    weekday: d.getUTCDay(),
    yearDay: (Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / DAY_MS,
  };
}

const TIME_GETTERS: Record<string, (c: Civil) => number> = {
  getFullYear: (c) => c.year,
  getMonth: (c) => c.month,
  getDate: (c) => c.day,
  getDayOfMonth: (c) => c.day - 1,
  getDayOfWeek: (c) => c.weekday,
  getDayOfYear: (c) => c.yearDay,
  getHours: (c) => c.hours,
  getMinutes: (c) => c.minutes,
  getSeconds: (c) => c.seconds,
  getMilliseconds: (c) => c.millis,
};

function timeGetters(): CelFunc[] {
  return Object.entries(TIME_GETTERS).flatMap(([name, get]) => [
    celMethod(name, TIMESTAMP, [], INT, function () {
      return BigInt(get(civil(this.message)));
    }),
    celMethod(name, TIMESTAMP, [STRING], INT, function (tz) {
      return BigInt(get(civil(this.message, tz)));
    }),
  ]);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** date('YYYY-MM-DD'): midnight UTC of that day (conditions-attribute-reference, "Date/time functions"). */
function parseDate(s: string): Timestamp {
  const m = DATE.exec(s);
  if (!m) throw new Error(`invalid date '${s}': expected YYYY-MM-DD`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const ms = Date.UTC(y, mo, d);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo || check.getUTCDate() !== d) throw new Error(`invalid date '${s}'`);
  return timestampFromMs(ms);
}

// ---------------------------------------------------------------------------------------------------------
// Strings and lists.

const TEMPLATE = /^([^{}]*)\{[^{}]*\}([^{}]*)$/;

/**
 * extract(template) on a string: the template is PREFIX{name}SUFFIX; the result is the text after the first
 * occurrence of PREFIX up to the first following occurrence of SUFFIX (to the end when SUFFIX is empty), or ''
 * when either is missing (conditions-attribute-reference, "extract()"; e.g. '/order_date={d}/' -> '2019-11-03').
 */
function extract(value: string, template: string): string {
  const m = TEMPLATE.exec(template);
  if (!m) throw new Error(`invalid extract() template '${template}': expected one {placeholder}`);
  const [, prefix, suffix] = m as unknown as [string, string, string];
  const at = value.indexOf(prefix);
  if (at < 0) return '';
  const start = at + prefix.length;
  if (suffix === '') return value.slice(start);
  const end = value.indexOf(suffix, start);
  return end < 0 ? '' : value.slice(start, end);
}

function listHas(list: CelList, item: unknown): boolean {
  for (const x of list) if (x === item) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------------------
// Request data.

function readApiAttribute(scope: FunctionScope, name: string, fallback: unknown): unknown {
  const path = API_ATTRIBUTE_PREFIX + name;
  const v = scope.value(path);
  if (v !== undefined) return v;
  if (scope.isUnknown(path)) throw unknownAttribute(path);
  // "If the attribute is not present in the request, the default value is returned" (api.getAttribute).
  return fallback;
}

function readTags(scope: FunctionScope): { byName: Record<string, string>; byId: Record<string, string> } {
  const tags = scope.tags();
  if (tags) return tags;
  if (scope.isUnknown(TAGS_ATTRIBUTE)) throw unknownAttribute(TAGS_ATTRIBUTE);
  return { byName: {}, byId: {} }; // the resource has no tags
}

function readRequired(scope: FunctionScope, path: string): unknown {
  const v = scope.value(path);
  if (v !== undefined) return v;
  throw scope.isUnknown(path) ? unknownAttribute(path) : unavailableAttribute(path);
}

function isForwardingRuleCreation(scope: FunctionScope): boolean {
  const v = scope.value(FORWARDING_RULE_CREATION);
  if (v !== undefined) return v === true;
  if (scope.isUnknown(FORWARDING_RULE_CREATION)) throw unknownAttribute(FORWARDING_RULE_CREATION);
  return false;
}

function own(record: Record<string, string>, key: string): string | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Every function IAM Conditions adds to (or corrects in) the CEL standard library. */
export function iamFunctions(scope: FunctionScope): CelFunc[] {
  return [
    ...timeGetters(),
    celFunc('date', [STRING], TIMESTAMP, parseDate),
    celMethod('extract', STRING, [STRING], STRING, function (template) {
      return extract(this, template);
    }),
    // list.hasOnly(list): every element of the target is in the argument (modifiedGrantsByRole).
    celMethod('hasOnly', DYN_LIST, [DYN_LIST], BOOL, function (allowed) {
      for (const x of this) if (!listHas(allowed, x)) return false;
      return true;
    }),
    celFunc('api.getAttribute', [STRING, DYN], DYN, (name, fallback) => readApiAttribute(scope, name, fallback) as CelInput),
    // Tags: https://cloud.google.com/iam/docs/tags-access-control#conditions . Keys are namespaced
    // ('ORG_ID/key' or 'PROJECT_ID/key'), values short names; the *Id forms take tagKeys/N and tagValues/N.
    celFunc('resource.matchTag', [STRING, STRING], BOOL, (key, value) => own(readTags(scope).byName, key) === value),
    celFunc('resource.matchTagId', [STRING, STRING], BOOL, (key, value) => own(readTags(scope).byId, key) === value),
    celFunc('resource.hasTagKey', [STRING], BOOL, (key) => own(readTags(scope).byName, key) !== undefined),
    celFunc('resource.hasTagKeyId', [STRING], BOOL, (key) => own(readTags(scope).byId, key) !== undefined),
    // Forwarding rules (https://cloud.google.com/load-balancing/docs/access-control/iam-conditions): the example
    // `!compute.isForwardingRuleCreationOperation() || (... && compute.matchLoadBalancingSchemes([...]))` allows
    // every request that does not create a forwarding rule, so a request without the attribute is "not a creation".
    celFunc('compute.isForwardingRuleCreationOperation', [], BOOL, () => isForwardingRuleCreation(scope)),
    celFunc('compute.matchLoadBalancingSchemes', [DYN_LIST], BOOL, (schemes) => isForwardingRuleCreation(scope) && listHas(schemes, readRequired(scope, LOAD_BALANCING_SCHEME))),
  ];
}
