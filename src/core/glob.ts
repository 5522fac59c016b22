/**
 * Wildcard matching in linear time, for patterns that come from users (`*` any run, `?` one character).
 *
 * A pattern is compiled once into the literal pieces between its stars. Matching anchors the first piece
 * at the start and the last at the end, and finds every middle piece at its leftmost position: leftmost
 * is always safe for `*`-separated pieces, so nothing is ever retried (no backtracking, no RegExp).
 */

/** A literal run; `anyAt[i]` marks a `?` (one character) at position i. */
interface Piece {
  text: string;
  anyAt: Uint8Array | null;
}

export class Glob {
  constructor(
    readonly pieces: readonly Piece[],
    /** False when the pattern has no star: the single piece must cover the whole text. */
    readonly hasStar: boolean,
    /** Pattern is exactly `*` (or a run of stars). */
    readonly matchesAll: boolean,
    private readonly parts: readonly GlobPart[],
    private readonly given?: string,
  ) {}

  /** The pattern as written, for explanations (built on demand: compiling happens far more often). */
  get source(): string {
    return this.given ?? this.parts.map((p) => (typeof p === 'string' ? p : p.wildcard)).join('');
  }
}

/** One element of a pattern: a literal text, or a wildcard. Used where escapes make `*` literal. */
export type GlobPart = string | { wildcard: '*' | '?' };

const STAR = { wildcard: '*' } as const;
const ANY = { wildcard: '?' } as const;

/** Splits a plain pattern string into parts: every `*` and `?` is a wildcard. */
export function globParts(pattern: string): GlobPart[] {
  const parts: GlobPart[] = [];
  let from = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c !== 0x2a && c !== 0x3f) continue;
    if (i > from) parts.push(pattern.slice(from, i));
    parts.push(c === 0x2a ? STAR : ANY);
    from = i + 1;
  }
  if (from < pattern.length) parts.push(pattern.slice(from));
  return parts;
}

export function compileGlob(pattern: string, caseInsensitive = false): Glob {
  return compileGlobParts(globParts(caseInsensitive ? pattern.toLowerCase() : pattern), pattern);
}

export function compileGlobParts(parts: readonly GlobPart[], source?: string): Glob {
  const pieces: Piece[] = [];
  let text = '';
  let anyAt: number[] = [];
  let hasStar = false;
  const flush = () => {
    let mask: Uint8Array | null = null;
    if (anyAt.length) {
      mask = new Uint8Array(text.length);
      for (const i of anyAt) mask[i] = 1;
    }
    pieces.push({ text, anyAt: mask });
    text = '';
    anyAt = [];
  };
  for (const part of parts) {
    if (typeof part === 'string') text += part;
    else if (part.wildcard === '?') {
      anyAt.push(text.length);
      text += '?';
    } else {
      hasStar = true;
      flush();
    }
  }
  flush();
  let matchesAll = hasStar;
  for (const p of pieces) if (p.text !== '') matchesAll = false;
  return new Glob(pieces, hasStar, matchesAll, parts, source);
}

function pieceAt(piece: Piece, s: string, at: number): boolean {
  const { text, anyAt } = piece;
  if (anyAt === null) return s.startsWith(text, at);
  if (at + text.length > s.length) return false;
  for (let i = 0; i < text.length; i++) {
    if (anyAt[i] === 0 && s.charCodeAt(at + i) !== text.charCodeAt(i)) return false;
  }
  return true;
}

/** Leftmost position >= from where the piece matches and ends by `limit`, or -1. */
function findPiece(piece: Piece, s: string, from: number, limit: number): number {
  const last = limit - piece.text.length;
  if (piece.anyAt === null) {
    const at = s.indexOf(piece.text, from);
    return at !== -1 && at <= last ? at : -1;
  }
  for (let at = from; at <= last; at++) if (pieceAt(piece, s, at)) return at;
  return -1;
}

/** Does the whole text match? Pass lower-cased text for a pattern compiled case-insensitively. */
export function globMatch(glob: Glob, s: string): boolean {
  const { pieces } = glob;
  if (!glob.hasStar) return pieces[0]!.text.length === s.length && pieceAt(pieces[0]!, s, 0);
  if (glob.matchesAll) return true;
  const first = pieces[0]!;
  const lastPiece = pieces[pieces.length - 1]!;
  if (first.text.length + lastPiece.text.length > s.length) return false;
  if (!pieceAt(first, s, 0)) return false;
  const end = s.length - lastPiece.text.length;
  if (!pieceAt(lastPiece, s, end)) return false;
  let pos = first.text.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i]!;
    if (piece.text === '') continue;
    const at = findPiece(piece, s, pos, end);
    if (at === -1) return false;
    pos = at + piece.text.length;
  }
  return true;
}

/** True when the pattern contains a wildcard character. */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}
