/**
 * Reads a policy document (an object, or JSON text) into compiled statements, checking the grammar for
 * the kind of policy it is. Errors name the offending element by JSON pointer within the document.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
import type { PolicyRef, Warning } from '../../src/core/decision.js';
import { compileGlob, globParts, type Glob, type GlobPart } from '../../src/core/glob.js';
import { parseJsonText, type Position } from '../../src/core/json-text.js';
import { InputError, pointerToken } from '../../src/core/problem.js';
import { compileArnPattern, type ArnPattern } from './arn-pattern.js';
import { actionStatus } from './catalog.js';
import { compileCondition, parseOperator, type CompiledCondition } from './conditions.js';
import { isUniqueId, namesEveryone, principalEntry, type PrincipalEntry } from './principal.js';
import { parseTemplate, type Template } from './variables.js';

/** A compiled policy as a request uses it: where its document sits, its name and what it is attached to. */
export interface PolicyUse {
  kind: PolicyKind;
  ref: PolicyRef;
  compiled: CompiledPolicy;
  /** Pointer of the document in `file` (the request body, or an uploaded file). */
  docPointer: string;
  /** The uploaded file the document is in; the request when absent. */
  file?: string;
  /** Line and column of a pointer inside the document, when they are known. */
  locate?: (pointer: string) => Position | undefined;
}

export type PolicyKind = 'identity' | 'resource' | 'permissions_boundary' | 'session' | 'scp' | 'rcp' | 'vpc_endpoint';

export interface ActionEntry {
  raw: string;
  /** Lower-case service prefix, or '*' for every action. */
  service: string;
  name: Glob;
}

export interface ResourceEntry {
  raw: string;
  template: Template;
  /** Precompiled when the entry has no variables. */
  pattern?: ArnPattern;
  /** With variables: the patterns compiled for the values requests gave, built on use (bounded). */
  resolved?: Map<string, ArnPattern>;
}

export interface CompiledStatement {
  index: number;
  sid?: string;
  effect: 'Allow' | 'Deny';
  pointer: string;
  notAction: boolean;
  actions: ActionEntry[];
  /** The entries as written, for explanations. */
  actionList: string;
  resourceList: string;
  /** Lower-case services the statement's actions can name; null for all (a '*' or NotAction). */
  services: ReadonlySet<string> | null;
  notResource: boolean;
  /** undefined: no Resource element (the policy's own resource). */
  resources?: ResourceEntry[];
  notPrincipal: boolean;
  /** undefined: no Principal element. */
  principals?: PrincipalEntry[];
  conditions: CompiledCondition[];
  /**
   * Applies to every request whose action it names: no condition, no resource to match (none given, or
   * '*' first), and no caller to match (no Principal element in this kind of policy, or one naming everyone).
   */
  unconditional: boolean;
}

export interface CompiledPolicy {
  version: '2012-10-17' | '2008-10-17';
  statements: CompiledStatement[];
  /** Warnings with pointers relative to the document. */
  warnings: Warning[];
  /** Line/column of a pointer when the document came as text. */
  locate?: (pointer: string) => Position | undefined;
  /** The action index: by 'service:action' (lower-case), the statements whose Action/NotAction part holds, in order. Built on first use. */
  byAction: Map<string, readonly CompiledStatement[]>;
}

const POLICY_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const NO_PRINCIPAL: ReadonlySet<PolicyKind> = new Set(['identity', 'permissions_boundary', 'session', 'scp']);
const RESOURCE_REQUIRED: ReadonlySet<PolicyKind> = new Set(['identity', 'permissions_boundary', 'session']);
const ACTION_RE = /^[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+$/;

class Compiler {
  readonly warnings: Warning[] = [];
  constructor(
    readonly kind: PolicyKind,
    readonly locate?: (pointer: string) => Position | undefined,
  ) {}

  fail(pointer: string, message: string): never {
    const e = new InputError('invalid_policy', pointer, message);
    const pos = this.locate?.(pointer);
    if (pos) {
      e.line = pos.line;
      e.column = pos.column;
    }
    throw e;
  }

  warn(code: string, pointer: string, message: string): void {
    this.warnings.push({ code, message, pointer });
  }

  /** A string or a non-empty array of strings (numbers and booleans are read as text, as IAM does in conditions). */
  strings(v: unknown, pointer: string, what: string, allowScalars = false): string[] {
    const one = (x: unknown, p: string): string => {
      if (typeof x === 'string') return x;
      if (allowScalars && (typeof x === 'number' || typeof x === 'boolean')) return String(x);
      return this.fail(p, `${what} must be a string${allowScalars ? ', number or boolean' : ''}`);
    };
    if (Array.isArray(v)) return v.map((x, i) => one(x, `${pointer}/${i}`));
    return [one(v, pointer)];
  }

  policy(doc: unknown): CompiledPolicy {
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) this.fail('', 'a policy document must be a JSON object');
    const d = doc as Record<string, unknown>;
    for (const k of Object.keys(d)) if (!POLICY_KEYS.has(k)) this.fail(`/${pointerToken(k)}`, `unknown policy element '${k}' (Version, Id, Statement)`);
    let version: CompiledPolicy['version'] = '2008-10-17';
    if (d.Version !== undefined) {
      if (d.Version !== '2012-10-17' && d.Version !== '2008-10-17') this.fail('/Version', "Version must be '2012-10-17' or '2008-10-17'");
      version = d.Version;
    } else this.warn('no_version', '', "no Version: 2008-10-17 rules apply, so policy variables are literal text");
    if (d.Id !== undefined && typeof d.Id !== 'string') this.fail('/Id', 'Id must be a string');
    if (d.Statement === undefined) this.fail('', "the policy has no 'Statement'");
    const list = Array.isArray(d.Statement) ? d.Statement : [d.Statement];
    const single = !Array.isArray(d.Statement);
    const statements = list.map((s, i) => this.statement(s, single ? '/Statement' : `/Statement/${i}`, i, version));
    const sids = new Set<string>();
    for (const s of statements) {
      if (s.sid === undefined || s.sid === '') continue;
      if (sids.has(s.sid)) this.warn('duplicate_sid', `${s.pointer}/Sid`, `Sid '${s.sid}' is used by more than one statement`);
      sids.add(s.sid);
    }
    const out: CompiledPolicy = { version, statements, warnings: this.warnings, byAction: new Map() };
    if (this.locate) out.locate = this.locate;
    return out;
  }

  statement(s: unknown, ptr: string, index: number, version: CompiledPolicy['version']): CompiledStatement {
    if (s === null || typeof s !== 'object' || Array.isArray(s)) this.fail(ptr, 'a statement must be a JSON object');
    const st = s as Record<string, unknown>;
    for (const k of Object.keys(st)) if (!STATEMENT_KEYS.has(k)) this.fail(`${ptr}/${pointerToken(k)}`, `unknown statement element '${k}'`);
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') this.fail(`${ptr}/Effect`, "Effect must be 'Allow' or 'Deny'");
    if (st.Sid !== undefined && typeof st.Sid !== 'string') this.fail(`${ptr}/Sid`, 'Sid must be a string');
    const sid = st.Sid as string | undefined;
    if (sid && this.kind === 'identity' && !/^[A-Za-z0-9]*$/.test(sid)) this.warn('sid_characters', `${ptr}/Sid`, 'IAM accepts only A-Z, a-z and 0-9 in the Sid of an identity-based policy');
    if ((st.Action === undefined) === (st.NotAction === undefined)) this.fail(ptr, 'a statement needs exactly one of Action or NotAction');
    if (st.Resource !== undefined && st.NotResource !== undefined) this.fail(ptr, 'a statement may not have both Resource and NotResource');
    if (st.Principal !== undefined && st.NotPrincipal !== undefined) this.fail(ptr, 'a statement may not have both Principal and NotPrincipal');
    if (RESOURCE_REQUIRED.has(this.kind) && st.Resource === undefined && st.NotResource === undefined) this.fail(ptr, 'a statement needs Resource or NotResource');
    const principalKey = st.Principal !== undefined ? 'Principal' : st.NotPrincipal !== undefined ? 'NotPrincipal' : undefined;
    if (principalKey && NO_PRINCIPAL.has(this.kind)) this.fail(`${ptr}/${principalKey}`, `${principalKey} is not allowed in ${KIND_NAMES[this.kind]}`);
    if (this.kind === 'rcp') {
      if (st.NotPrincipal !== undefined) this.fail(`${ptr}/NotPrincipal`, 'NotPrincipal is not supported in resource control policies');
      if (st.NotAction !== undefined) this.fail(`${ptr}/NotAction`, 'NotAction is not supported in resource control policies');
      if (st.Principal !== '*') this.fail(`${ptr}/Principal`, 'the Principal of a resource control policy statement must be "*"');
    }
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    if (st.NotPrincipal !== undefined && st.Effect === 'Allow') {
      this.warn('notprincipal_allow', `${ptr}/NotPrincipal`, 'AWS supports NotPrincipal only with "Effect": "Deny"; this Allow grants to everyone not listed, anonymous callers included');
    }
    if ((this.kind === 'resource' || this.kind === 'vpc_endpoint') && !principalKey) {
      this.warn('no_principal', ptr, 'the statement has no Principal or NotPrincipal, so it applies to no one');
    }
    const notAction = st.NotAction !== undefined;
    const actions = this.actions(notAction ? st.NotAction : st.Action, `${ptr}/${notAction ? 'NotAction' : 'Action'}`);
    const services = notAction || actions.some((a) => a.service === '*') ? null : new Set(actions.map((a) => a.service));
    const out: CompiledStatement = {
      index,
      effect: st.Effect,
      pointer: ptr,
      notAction,
      actions,
      actionList: actions.map((a) => a.raw).join(', '),
      resourceList: '',
      services,
      notResource: st.NotResource !== undefined,
      notPrincipal: st.NotPrincipal !== undefined,
      conditions: this.conditions(st.Condition, `${ptr}/Condition`, version === '2012-10-17'),
      unconditional: false,
    };
    if (sid !== undefined) out.sid = sid;
    const res = st.Resource ?? st.NotResource;
    if (res !== undefined) {
      out.resources = this.resources(res, `${ptr}/${st.Resource !== undefined ? 'Resource' : 'NotResource'}`, version === '2012-10-17');
      out.resourceList = out.resources.map((r) => r.raw).join(', ');
    }
    if (principalKey) out.principals = this.principals(st[principalKey], `${ptr}/${principalKey}`);
    const anyResource = !out.resources || (!out.notResource && out.resources[0]?.pattern?.all === true);
    const anyCaller = NO_PRINCIPAL.has(this.kind) || (!out.notPrincipal && !!out.principals?.some(namesEveryone));
    out.unconditional = out.conditions.length === 0 && anyResource && anyCaller;
    return out;
  }

  actions(v: unknown, ptr: string): ActionEntry[] {
    return this.strings(v, ptr, 'an action').map((raw, i) => {
      const p = Array.isArray(v) ? `${ptr}/${i}` : ptr;
      if (raw === '*') return { raw, service: '*', name: compileGlob('*') };
      if (!ACTION_RE.test(raw)) this.fail(p, `'${raw}' is not an action: use service:ActionName (wildcards * and ? allowed in the name)`);
      const colon = raw.indexOf(':');
      const service = raw.slice(0, colon).toLowerCase();
      const name = raw.slice(colon + 1).toLowerCase();
      if (!name.includes('*') && !name.includes('?')) {
        const status = actionStatus(service, name);
        if (status === 'unknown_service') this.warn('unknown_service', p, `'${service}' is not a known AWS service prefix`);
        else if (status === 'unknown_action') this.warn('unknown_action', p, `'${raw}' is not a known action of ${service}`);
      }
      return { raw, service, name: compileGlob(name) };
    });
  }

  resources(v: unknown, ptr: string, variables: boolean): ResourceEntry[] {
    return this.strings(v, ptr, 'a resource').map((raw, i) => {
      const p = Array.isArray(v) ? `${ptr}/${i}` : ptr;
      if (raw !== '*' && !raw.startsWith('arn:') && !raw.includes('*')) this.fail(p, `'${raw}' is not an ARN or '*'`);
      const template = parseTemplate(raw, variables);
      const entry: ResourceEntry = { raw, template };
      if (!template.hasVariables) entry.pattern = compileArnPattern(literalParts(template));
      return entry;
    });
  }

  principals(v: unknown, ptr: string): PrincipalEntry[] {
    if (v === '*') return [{ type: '*', value: '*' }];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(ptr, 'Principal must be "*" or an object such as {"AWS": [...]}');
    const out: PrincipalEntry[] = [];
    for (const [type, values] of Object.entries(v as Record<string, unknown>)) {
      const p = `${ptr}/${pointerToken(type)}`;
      if (!PRINCIPAL_TYPES.has(type)) this.fail(p, `unknown principal type '${type}' (AWS, Service, Federated, CanonicalUser)`);
      for (const [i, value] of this.strings(values, p, 'a principal').entries()) {
        const vp = Array.isArray(values) ? `${p}/${i}` : p;
        if (type === 'AWS' && value !== '*' && !/^[0-9]{12}$/.test(value) && !value.startsWith('arn:')) {
          if (isUniqueId(value)) this.warn('deleted_principal', vp, `'${value}' is a unique id left by a deleted user or role: it matches no one`);
          else this.fail(vp, `'${value}' is not an account id, an ARN or "*"`);
        }
        if (type === 'CanonicalUser') this.warn('canonical_user', vp, 'CanonicalUser principals (S3 canonical ids) are not matched by this simulator');
        out.push(principalEntry(type as PrincipalEntry['type'], value));
      }
    }
    return out;
  }

  conditions(v: unknown, ptr: string, variables: boolean): CompiledCondition[] {
    if (v === undefined) return [];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) this.fail(ptr, 'Condition must be an object of operators');
    const out: CompiledCondition[] = [];
    for (const [operator, block] of Object.entries(v as Record<string, unknown>)) {
      const op = `${ptr}/${pointerToken(operator)}`;
      const parsed = parseOperator(operator);
      if (!parsed.ok) this.fail(op, parsed.message);
      if (block === null || typeof block !== 'object' || Array.isArray(block)) this.fail(op, `the ${operator} block must be an object of condition keys`);
      for (const [key, values] of Object.entries(block as Record<string, unknown>)) {
        const kp = `${op}/${pointerToken(key)}`;
        if (key === '') this.fail(kp, 'a condition key may not be empty');
        const list = this.strings(values, kp, 'a condition value', true);
        if (parsed.spec.family === 'null' && list.some((x) => !/^(true|false)$/i.test(x))) this.fail(kp, "Null takes 'true' or 'false'");
        out.push(compileCondition(operator, parsed, key, list, variables));
      }
    }
    return out;
  }
}

function literalParts(t: Template): GlobPart[] {
  const out: GlobPart[] = [];
  for (const p of t.parts) {
    if ('text' in p) out.push(...globParts(p.text));
    else if ('literal' in p) out.push(p.literal);
  }
  return out;
}

export const KIND_NAMES: Record<PolicyKind, string> = {
  identity: 'identity-based policies',
  resource: 'resource-based policies',
  permissions_boundary: 'permissions boundaries',
  session: 'session policies',
  scp: 'service control policies',
  rcp: 'resource control policies',
  vpc_endpoint: 'VPC endpoint policies',
};

export function compilePolicy(kind: PolicyKind, document: unknown): CompiledPolicy {
  if (typeof document === 'string') {
    const parsed = parseJsonText(document);
    return new Compiler(kind, parsed.locate).policy(parsed.value);
  }
  return new Compiler(kind).policy(document);
}
