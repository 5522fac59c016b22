/** One decision in words for a terminal: the outcome, the cloud's error, the decisive causes and where they are. */
import type { Decision } from '../core/decision.js';
import { describeCause } from '../ci/format/describe.js';
import type { Paint } from '../ci/format/paint.js';

const STYLE = { allowed: 'green', denied: 'red', conditional: 'yellow' } as const;

export function decisionText(d: Decision, paint: Paint): string {
  const lines = [`${paint('bold', paint(STYLE[d.decision], d.decision.toUpperCase()))} (${d.reason})  ${d.summary}`];
  if (d.error.message) lines.push(`  ${paint('dim', `${d.error.status} ${d.error.code ?? ''}`.trim())} ${d.error.message}`);
  for (const c of d.causes) lines.push(`  - ${describeCause(c)}`, `    ${paint('dim', c.why)}`);
  for (const m of d.missingContext) lines.push(`  ? missing context ${m.key}`);
  for (const n of d.nearMisses.slice(0, 5)) lines.push(`  ~ near miss: ${n.policy.name}: ${n.why}`);
  for (const w of d.warnings) lines.push(`  ! ${w.code}: ${w.message}`);
  return lines.join('\n');
}
