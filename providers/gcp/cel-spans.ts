/**
 * Character spans of a condition's top-level statements, for Troubleshooter-style evaluationStates
 * (https://cloud.google.com/policy-intelligence/docs/troubleshoot-access; ConditionExplanation.EvaluationState in
 * google/cloud/policytroubleshooter/iam/v3/troubleshooter.proto: for `a==b || c==d` the first part ends at 4).
 * The parser only records one offset per node (not spans), so the spans come from the text: the statements are
 * the pieces between the outermost && (or ||) operators, outside strings, comments and brackets.
 */

export interface Span {
  start: number;
  end: number;
}

interface Scan {
  /** Offsets of && / || tokens with their bracket depth. */
  ops: { at: number; op: string; depth: number }[];
  /** Bracket depth before each character. */
  depthAt: number[];
  /** For each '(' offset, the offset of its ')'. */
  closing: Map<number, number>;
}

const OPEN = '([{';
const CLOSE = ')]}';

/** Offset just after the string literal starting with the quote at i (raw: no escapes). */
function skipString(s: string, i: number, raw: boolean): number {
  const q = s[i]!;
  const triple = s.startsWith(q.repeat(3), i);
  const end = triple ? q.repeat(3) : q;
  let j = i + end.length;
  while (j < s.length) {
    if (!raw && s[j] === '\\') j += 2;
    else if (s.startsWith(end, j)) return j + end.length;
    else j++;
  }
  return s.length;
}

function isRawPrefix(s: string, quote: number): boolean {
  let k = quote - 1;
  let raw = false;
  while (k >= 0 && k >= quote - 2 && /[rRbB]/.test(s[k]!)) {
    if (/[rR]/.test(s[k]!)) raw = true;
    k--;
  }
  return raw && (k < 0 || !/[A-Za-z0-9_]/.test(s[k]!));
}

function scan(s: string): Scan {
  const ops: Scan['ops'] = [];
  const depthAt: number[] = new Array<number>(s.length + 1).fill(0);
  const closing = new Map<number, number>();
  const stack: number[] = [];
  let i = 0;
  const mark = (from: number, to: number): void => {
    for (let k = from; k < to && k < s.length; k++) depthAt[k] = stack.length;
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '"' || c === "'") {
      const next = skipString(s, i, isRawPrefix(s, i));
      mark(i, next);
      i = next;
      continue;
    }
    if (s.startsWith('//', i)) {
      const nl = s.indexOf('\n', i);
      const next = nl < 0 ? s.length : nl;
      mark(i, next);
      i = next;
      continue;
    }
    depthAt[i] = stack.length;
    if (OPEN.includes(c)) stack.push(i);
    else if (CLOSE.includes(c)) {
      const open = stack.pop();
      if (open !== undefined && s[open] === '(') closing.set(open, i);
      depthAt[i] = stack.length;
    } else if (s.startsWith('&&', i) || s.startsWith('||', i)) {
      ops.push({ at: i, op: s.slice(i, i + 2), depth: stack.length });
      depthAt[i + 1] = stack.length;
      i += 2;
      continue;
    }
    i++;
  }
  depthAt[s.length] = stack.length;
  return { ops, depthAt, closing };
}

function trim(s: string, span: Span): Span {
  let { start, end } = span;
  while (start < end && /\s/.test(s[start]!)) start++;
  while (end > start && /\s/.test(s[end - 1]!)) end--;
  return { start, end };
}

/**
 * Spans [start, end) of the `parts` statements joined by `op` at the top of `expression`; with no operator, the
 * whole (trimmed) expression. If the text does not split into exactly `parts` pieces, each part gets the whole span.
 */
export function statementSpans(expression: string, op: '&&' | '||' | undefined, parts: number): Span[] {
  let whole = trim(expression, { start: 0, end: expression.length });
  if (op === undefined) return [whole];
  const { ops, depthAt, closing } = scan(expression);
  // Drop parentheses around the whole expression: "(a && b)".
  while (expression[whole.start] === '(' && closing.get(whole.start) === whole.end - 1) {
    whole = trim(expression, { start: whole.start + 1, end: whole.end - 1 });
  }
  const depth = depthAt[whole.start] ?? 0;
  const cuts = ops.filter((o) => o.op === op && o.depth === depth && o.at >= whole.start && o.at < whole.end);
  if (cuts.length !== parts - 1) return new Array<Span>(parts).fill(whole);
  const spans: Span[] = [];
  let from = whole.start;
  for (const cut of cuts) {
    spans.push(trim(expression, { start: from, end: cut.at }));
    from = cut.at + 2;
  }
  spans.push(trim(expression, { start: from, end: whole.end }));
  return spans;
}
