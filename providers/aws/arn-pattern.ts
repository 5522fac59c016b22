/**
 * ARN patterns for the Resource element and the Arn* condition operators. Each colon-separated part is
 * matched on its own, so a wildcard inside a part never crosses a ':'; but a '*' that ends a part may
 * expand across the following colons (so arn:aws:ec2:* stands for arn:aws:ec2:*:*:*). The resource part
 * (after the fifth colon) may hold further colons.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 */
import { compileGlobParts, globMatch, type Glob, type GlobPart } from '../../src/core/glob.js';
import { splitArn } from './arn.js';

export interface ArnPattern {
  /** Pattern is '*': matches every resource, '*' included. */
  all: boolean;
  /** The pattern's parts (at most six), with whether each ends in '*'. */
  segments: { glob: Glob; endsWithStar: boolean; literal?: string }[];
  /** For a non-ARN value: the whole pattern, matched as a plain glob. */
  whole: Glob;
  /** Six parts, none of the first five ending in '*': each part matches exactly one part of the value. */
  fixed: boolean;
}

/** A value split into its six ARN parts once, or null when it is not an ARN. */
export type ArnParts = readonly string[] | null;

export function arnParts(value: string): ArnParts {
  const arn = splitArn(value);
  return arn ? ['arn', arn.partition, arn.service, arn.region, arn.account, arn.resource] : null;
}

export function compileArnPattern(parts: readonly GlobPart[]): ArnPattern {
  const whole = compileGlobParts(parts);
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
  const segments = segs.map((s) => {
    const seg: ArnPattern['segments'][number] = { glob: compileGlobParts(s), endsWithStar: s.length > 0 && typeof s[s.length - 1] !== 'string' };
    if (s.every((x) => typeof x === 'string')) seg.literal = s.join('');
    return seg;
  });
  let fixed = segments.length === 6;
  for (let j = 0; j < 5 && fixed; j++) if (segments[j]!.endsWithStar) fixed = false;
  return { all: whole.matchesAll, segments, whole, fixed };
}

/**
 * Matches part by part. reach[j]: the pattern parts so far cover the value's first j parts. A part that
 * ends in '*' may cover several value parts. At most 6 x 6 steps, each a linear glob match.
 */
const FIXED_ORDER = [2, 5, 4, 3, 1, 0];

export function arnPatternMatches(p: ArnPattern, value: string, parts: ArnParts = arnParts(value)): boolean {
  if (p.all) return true;
  if (!parts) return globMatch(p.whole, value);
  const segs = p.segments;
  if (p.fixed) {
    // Service and resource parts first: they are where patterns usually differ.
    for (const j of FIXED_ORDER) {
      const seg = segs[j]!;
      if (seg.literal !== undefined ? seg.literal !== parts[j] : !globMatch(seg.glob, parts[j]!)) return false;
    }
    return true;
  }
  let reach = [true, false, false, false, false, false, false];
  for (const seg of segs) {
    const next = [false, false, false, false, false, false, false];
    for (let j = 0; j < 6; j++) {
      if (!reach[j] || !globMatch(seg.glob, parts[j]!)) continue;
      next[j + 1] = true;
      if (seg.endsWithStar) for (let k = j + 2; k <= 6; k++) next[k] = true;
    }
    reach = next;
  }
  return reach[6]!;
}
