/**
 * Errors in what a user sent. The HTTP layer turns them into RFC 9457 application/problem+json,
 * naming the offending field by JSON pointer. Anything else that is thrown is a bug.
 */

export type ProblemCode =
  | 'invalid_request'
  | 'invalid_policy'
  | 'invalid_arn'
  | 'malformed_json'
  | 'too_deep'
  | 'too_large'
  | 'forbidden_key'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'not_found'
  | 'unauthorized'
  | 'conflict';

export interface ProblemDetail {
  pointer: string;
  detail: string;
}

export class InputError extends Error {
  readonly status: number;
  readonly code: ProblemCode;
  readonly pointer: string;
  line?: number;
  column?: number;
  /** The uploaded file the error is in, when there is one. */
  file?: string;

  constructor(code: ProblemCode, pointer: string, message: string, status = 400) {
    super(message);
    this.name = 'InputError';
    this.code = code;
    this.pointer = pointer;
    this.status = status;
  }

  /** The same error, seen from a container: its pointer gets the container's pointer in front. */
  under(prefix: string): InputError {
    const e = new InputError(this.code, prefix + this.pointer, this.message, this.status);
    if (this.line !== undefined) e.line = this.line;
    if (this.column !== undefined) e.column = this.column;
    if (this.file !== undefined) e.file = this.file;
    return e;
  }

  inFile(file: string): InputError {
    this.file = file;
    return this;
  }
}

const TITLES: Record<ProblemCode, string> = {
  invalid_request: 'The request does not match the API contract',
  invalid_policy: 'A policy document is not valid',
  invalid_arn: 'An ARN is not valid',
  malformed_json: 'The body is not valid JSON',
  too_deep: 'The body is nested too deeply',
  too_large: 'The body has too many elements',
  forbidden_key: 'The body uses a forbidden key',
  body_too_large: 'The body is larger than the limit',
  unsupported_media_type: 'The content type is not supported',
  not_found: 'Not found',
  unauthorized: 'A valid bearer token is required',
  conflict: 'Conflict',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  pointer: string;
  line?: number;
  column?: number;
  file?: string;
  index?: number;
}

export function toProblem(e: InputError): Problem {
  const p: Problem = {
    type: `urn:iamsim:problem:${e.code}`,
    title: TITLES[e.code],
    status: e.status,
    detail: e.message,
    code: e.code,
    pointer: e.pointer,
  };
  if (e.line !== undefined) p.line = e.line;
  if (e.column !== undefined) p.column = e.column;
  if (e.file !== undefined) p.file = e.file;
  return p;
}

/** Escapes one reference token of a JSON pointer (RFC 6901). */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}
