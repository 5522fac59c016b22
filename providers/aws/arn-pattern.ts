/**
 * ARN patterns for the Resource element and the Arn* condition operators. Each colon-separated part is
 * matched on its own, so a wildcard inside a part never crosses a ':'; but a '*' that ends a part may
 * expand across the following colons (so arn:aws:ec2:* stands for arn:aws:ec2:*:*:*). The resource part
 * (after the fifth colon) may hold further colons.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 */
import { compileGlobParts, globMatch, type Glob, type GlobPart } from '../../src/core/glob.js';
import { splitArn, type Arn } from './arn.js';

export interface ArnPattern {
  /** Pattern is '*': matches every resource, '*' included. */
  all: boolean;
  /** The pattern's parts (at most six): plain text is compared, a part with wildcards is matched as a glob. */
  segments: ArnSegment[];
  /** The pattern as glob parts, for a value that is not an ARN; `whole` is compiled from them when one comes. */
  parts: readonly GlobPart[];
  whole: Glob | undefined;
  /** Six parts, none of the first five ending in '*': each part matches exactly one part of the value. */
  fixed: boolean;
  /**
   * The common case: plain text holding all five colons, alone or followed by one '*' (arn:aws:s3:::b/*).
   * Then the value must equal it, or start with it: one comparison, with nothing else of the pattern to read.
   */
  lead: string | undefined;
  exact: boolean;
}

/** One part of a pattern: its text when it has no wildcard, else its glob (a snapshot holds many patterns: kept small). */
interface ArnSegment {
  literal: string | undefined;
  glob: Glob | undefined;
  endsWithStar: boolean;
}

/** A value split into its six ARN parts once, or null when it is not an ARN. */
export type ArnParts = readonly string[] | null;

export function arnParts(value: string): ArnParts {
  const arn = splitArn(value);
  return arn ? partsOf(arn) : null;
}

/** The six parts of an ARN already split. */
export function partsOf(arn: Arn): ArnParts {
  return ['arn', arn.partition, arn.service, arn.region, arn.account, arn.resource];
}

export function compileArnPattern(parts: readonly GlobPart[]): ArnPattern {
  const segs: GlobPart[][] = [[]];
  for (const p of parts) {
    if (typeof p !== 'string' || segs.length === 6) {
      segs[segs.length - 1]!.push(p);
      continue;
    }
    let rest = p;
    let colon = rest.indexOf(':');
    while (colon !== -1 && segs.length < 6) {
      if (colon > 0) segs[segs.length - 1]!.push(rest.slice(0, colon));
      segs.push([]);
      rest = rest.slice(colon + 1);
      colon = rest.indexOf(':');
    }
    if (rest) segs[segs.length - 1]!.push(rest);
  }
  const segments = segs.map((s, j): ArnSegment => {
    const literal = s.every((x) => typeof x === 'string') ? s.join('') : undefined;
    if (literal !== undefined && j < 5) return plainHead(literal);
    return { literal, glob: literal === undefined ? compileGlobParts(s) : undefined, endsWithStar: s.length > 0 && typeof s[s.length - 1] !== 'string' };
  });
  let fixed = segments.length === 6;
  for (let j = 0; j < 5 && fixed; j++) if (segments[j]!.endsWithStar) fixed = false;
  const star = parts.length > 0 && isStar(parts[parts.length - 1]!);
  const text = star ? parts.slice(0, -1) : parts;
  const plain = text.every((x) => typeof x === 'string') ? text.join('') : undefined;
  const lead = plain !== undefined && plain.split(':').length > 5 ? plain : undefined;
  return { all: compileGlobParts(parts).matchesAll, segments, parts, whole: undefined, fixed, lead, exact: !star };
}

function isStar(p: GlobPart): boolean {
  return typeof p !== 'string' && p.wildcard === '*';
}

/**
 * Plain partitions, services, regions and accounts repeat across a snapshot's patterns: one shared segment
 * each, so matching reads a few objects that stay in cache. Bounded, for patterns made from request values.
 */
const heads = new Map<string, ArnSegment>();
const MAX_HEADS = 4096;

function plainHead(literal: string): ArnSegment {
  let seg = heads.get(literal);
  if (!seg) {
    seg = { literal, glob: undefined, endsWithStar: false };
    if (heads.size < MAX_HEADS) heads.set(literal, seg);
  }
  return seg;
}

function segmentMatches(seg: ArnSegment, part: string): boolean {
  return seg.literal !== undefined ? seg.literal === part : globMatch(seg.glob!, part);
}

/**
 * Matches part by part. reach[j]: the pattern parts so far cover the value's first j parts. A part that
 * ends in '*' may cover several value parts. At most 6 x 6 steps, each a linear glob match.
 */
const FIXED_ORDER = [2, 5, 4, 3, 1, 0];

export function arnPatternMatches(p: ArnPattern, value: string, split?: ArnParts): boolean {
  if (p.all) return true;
  if (p.lead !== undefined) return p.exact ? value === p.lead : value.startsWith(p.lead);
  const parts = split === undefined ? arnParts(value) : split;
  if (!parts) return globMatch((p.whole ??= compileGlobParts(p.parts)), value);
  const segs = p.segments;
  if (p.fixed) {
    // Service and resource parts first: they are where patterns usually differ.
    for (const j of FIXED_ORDER) if (!segmentMatches(segs[j]!, parts[j]!)) return false;
    return true;
  }
  let reach = [true, false, false, false, false, false, false];
  for (const seg of segs) {
    const next = [false, false, false, false, false, false, false];
    for (let j = 0; j < 6; j++) {
      if (!reach[j] || !segmentMatches(seg, parts[j]!)) continue;
      next[j + 1] = true;
      if (seg.endsWithStar) for (let k = j + 2; k <= 6; k++) next[k] = true;
    }
    reach = next;
  }
  return reach[6]!;
}
