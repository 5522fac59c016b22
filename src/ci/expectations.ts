/**
 * The expectations file (access.yaml): YAML or JSON text, validated against the `Expectations` schema of
 * openapi.yaml, with the line and column of every entry so that reports point at the line to fix.
 */
import { LineCounter, isMap, isSeq, parseDocument, type Node } from 'yaml';
import { guardJson } from '../core/json-guard.js';
import { InputError } from '../core/problem.js';
import { validateComponent } from '../api/spec.js';
import type { Provider } from '../core/decision.js';
import type { FileLocation } from './report.js';

export interface Expectation {
  name: string;
  provider: Provider;
  principal: string;
  action: string;
  resource: string;
  context?: Record<string, unknown>;
  expect?: 'allowed' | 'denied';
  because?: { layer?: string; policy?: string };
}

export interface Invariant {
  name: string;
  provider: Provider;
  actions: string[];
  resources: string[];
  context?: Record<string, unknown>;
  allowOnly?: string[];
  noPublicAccess?: true;
  noCrossOrgAccess?: true;
}

export interface ExpectationsDoc {
  version?: 1;
  must?: Expectation[];
  mustNot?: Expectation[];
  invariants?: Invariant[];
}

/** The expectations, and where each entry is written. */
export interface Expectations {
  file: string;
  doc: ExpectationsDoc;
  locate(pointer: string): FileLocation;
}

/** The node a JSON pointer names in a YAML document, or the deepest one that exists on its way. */
function nodeAt(root: Node | null, pointer: string): Node | null {
  let node = root;
  for (const raw of pointer.split('/').slice(1)) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    let next: Node | null = null;
    if (isMap(node)) next = (node.items.find((p) => String((p.key as { value?: unknown })?.value) === token)?.value as Node | undefined) ?? null;
    else if (isSeq(node)) next = (node.items[Number(token)] as Node | undefined) ?? null;
    if (!next) break;
    node = next;
  }
  return node;
}

/** Reads expectations from text (YAML, or JSON, which YAML reads too). Throws InputError with a pointer. */
export function parseExpectations(text: string, file: string): Expectations {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const at = lines.linePos(err.pos[0]);
    const e = new InputError('invalid_request', '', `${file} is not valid YAML or JSON at line ${at.line}, column ${at.col}: ${err.message.split('\n')[0]}`).inFile(file);
    e.line = at.line;
    e.column = at.col;
    throw e;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // yaml refuses alias expansions that would blow up (a "billion laughs" document).
    throw new InputError('too_large', '', `${file}: ${(e as Error).message}`).inFile(file);
  }
  const locate = (pointer: string): FileLocation => {
    const node = nodeAt(doc.contents, pointer);
    const at = node?.range ? lines.linePos(node.range[0]) : { line: 1, col: 1 };
    return { file, pointer, line: at.line, column: at.col };
  };
  try {
    guardJson(value);
    validate(value, '');
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    // With `file`, a problem's pointer is a position in that file (openapi.yaml ProblemFields).
    const at = locate(e.pointer);
    e.inFile(file);
    e.line = at.line;
    e.column = at.column;
    throw e;
  }
  return { file, doc: value as ExpectationsDoc, locate };
}

const KINDS = ['allowOnly', 'noPublicAccess', 'noCrossOrgAccess'];

/** Validates against the schema; the schema's oneOf over the invariant kinds gets a message of its own. */
function validate(value: unknown, base: string): void {
  const invariants = (value as ExpectationsDoc | null)?.invariants;
  if (Array.isArray(invariants)) {
    invariants.forEach((inv: unknown, i) => {
      if (inv && typeof inv === 'object' && KINDS.filter((k) => k in inv).length !== 1) throw new InputError('invalid_request', `${base}/invariants/${i}`, `an invariant needs exactly one of ${KINDS.join(', ')}`);
    });
  }
  validateComponent('Expectations', value, base);
}

/** Expectations given as a JSON value (an API body): locations are pointers only. */
export function expectationsFromValue(value: unknown, file: string, base: string): Expectations {
  validate(value, base);
  return { file, doc: value as ExpectationsDoc, locate: (pointer) => ({ file, pointer }) };
}
