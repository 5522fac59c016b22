/** Renders CI gate reports (iamsim check / diff) in each output format the CLI and the API offer. */
import type { CheckReport, DiffReport } from '../report.js';
import { checkGithub, diffGithub } from './github.js';
import { checkJunit, diffJunit } from './junit.js';
import { checkMarkdown, diffMarkdown } from './markdown.js';
import type { RenderOptions } from './options.js';
import { checkSarif, diffSarif } from './sarif.js';
import { checkText, diffText } from './text.js';

export type { RenderOptions } from './options.js';

export type Format = 'text' | 'json' | 'junit' | 'sarif' | 'github' | 'markdown';

export const FORMATS: readonly Format[] = ['text', 'json', 'junit', 'sarif', 'github', 'markdown'];

export function isFormat(s: string): s is Format {
  return (FORMATS as readonly string[]).includes(s);
}

type Renderer<R> = (report: R, opts: RenderOptions) => string;

/** `json` is the report as it is, the same document POST /v1/checks and /v1/diff answer. */
const json = (report: CheckReport | DiffReport) => `${JSON.stringify(report, null, 2)}\n`;

const CHECK: Record<Format, Renderer<CheckReport>> = { text: checkText, json, junit: checkJunit, sarif: checkSarif, github: checkGithub, markdown: checkMarkdown };
const DIFF: Record<Format, Renderer<DiffReport>> = { text: diffText, json, junit: diffJunit, sarif: diffSarif, github: diffGithub, markdown: diffMarkdown };

export function renderCheck(report: CheckReport, format: Format, opts: RenderOptions = {}): string {
  return CHECK[format](report, opts);
}

export function renderDiff(report: DiffReport, format: Format, opts: RenderOptions = {}): string {
  return DIFF[format](report, opts);
}
