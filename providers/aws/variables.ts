/**
 * Policy variables: `${key}`, `${key, 'default'}` and the escapes `${*}`, `${?}`, `${$}`.
 * Only under "Version": "2012-10-17"; under 2008-10-17 the text is literal.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 */
import type { GlobPart } from '../../src/core/glob.js';
import { globParts } from '../../src/core/glob.js';
import type { ContextView } from './context.js';

export type TemplatePart = { text: string } | { literal: string } | { key: string; fallback?: string };

export interface Template {
  raw: string;
  parts: TemplatePart[];
  hasVariables: boolean;
  /** The text, resolved once, when there are no variables. */
  fixed?: Resolved<string>;
}

/** A resolved value: a string, or a variable whose key is absent (no default) or unknown. */
export type Resolved<T> = { ok: true; value: T; keys: string[] } | { ok: false; unknown: boolean; keys: string[] };

export function parseTemplate(raw: string, variablesEnabled: boolean): Template {
  if (!variablesEnabled || !raw.includes('${')) return { raw, parts: [{ text: raw }], hasVariables: false, fixed: { ok: true, value: raw, keys: [] } };
  const parts: TemplatePart[] = [];
  let i = 0;
  let hasVariables = false;
  while (i < raw.length) {
    const at = raw.indexOf('${', i);
    const close = at === -1 ? -1 : raw.indexOf('}', at + 2);
    if (at === -1 || close === -1) {
      parts.push({ text: raw.slice(i) });
      break;
    }
    if (at > i) parts.push({ text: raw.slice(i, at) });
    const inner = raw.slice(at + 2, close);
    if (inner === '*' || inner === '?' || inner === '$') parts.push({ literal: inner });
    else {
      const m = /^\s*([^,\s]+)\s*(?:,\s*'([^']*)'\s*)?$/.exec(inner);
      if (m) {
        hasVariables = true;
        parts.push(m[2] === undefined ? { key: m[1]!.toLowerCase() } : { key: m[1]!.toLowerCase(), fallback: m[2] });
      } else parts.push({ text: raw.slice(at, close + 1) });
    }
    i = close + 1;
  }
  const t: Template = { raw, parts, hasVariables };
  if (!hasVariables) t.fixed = { ok: true, value: parts.map((p) => ('text' in p ? p.text : 'literal' in p ? p.literal : '')).join(''), keys: [] };
  return t;
}

/** Resolves the template into glob parts (text keeps its wildcards; escapes and variable values are literal). */
export function resolveGlobParts(t: Template, ctx: ContextView): Resolved<GlobPart[]> {
  const out: GlobPart[] = [];
  const keys: string[] = [];
  for (const p of t.parts) {
    if ('text' in p) out.push(...globParts(p.text));
    else if ('literal' in p) out.push(p.literal);
    else {
      keys.push(p.key);
      const v = ctx.single(p.key);
      if (v.kind === 'present') out.push(v.value);
      else if (v.kind === 'unknown') return { ok: false, unknown: true, keys };
      else if (p.fallback !== undefined) out.push(p.fallback);
      else return { ok: false, unknown: false, keys };
    }
  }
  return { ok: true, value: out, keys };
}

/** Resolves the template into plain text (wildcards are just characters). */
export function resolveText(t: Template, ctx: ContextView): Resolved<string> {
  if (t.fixed) return t.fixed;
  const r = resolveGlobParts(t, ctx);
  if (!r.ok) return r;
  return { ok: true, value: r.value.map((p) => (typeof p === 'string' ? p : p.wildcard)).join(''), keys: r.keys };
}
