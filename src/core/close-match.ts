/** Close matches for a name that is not found, for 404 answers that suggest what the caller may have meant. */
import { InputError } from './problem.js';

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The n candidates closest to `wanted`, case-insensitively. */
export function closeMatches(wanted: string, candidates: Iterable<string>, n = 3): string[] {
  const scored: [number, string][] = [];
  for (const c of candidates) scored.push([distance(wanted.toLowerCase(), c.toLowerCase()), c]);
  return scored.sort((x, y) => x[0] - y[0] || (x[1] < y[1] ? -1 : 1)).slice(0, n).map(([, c]) => c);
}

/** A 404 for a name the snapshot does not hold, with the closest names it does hold. */
export function notFound(pointer: string, what: string, wanted: string, candidates: Iterable<string>): InputError {
  const near = closeMatches(wanted, candidates);
  return new InputError('not_found', pointer, `${what} ${wanted} is not in the snapshot${near.length ? `; close matches: ${near.join(', ')}` : ''}`, 404);
}
