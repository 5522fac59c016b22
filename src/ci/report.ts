/**
 * What `iamsim check` and `iamsim diff` (and POST /v1/checks, /v1/diff) answer: one report shape that
 * every output format (text, json, junit, sarif, github, markdown) renders.
 */
import type { PlanChange, PlanUnknown } from '../core/ci.js';
import type { Decision, DecisionValue, Provider } from '../core/decision.js';
import type { Problem } from '../core/problem.js';

/** A place in a file the user owns: the expectations file, or a Terraform plan's resource address. */
export interface FileLocation {
  file: string;
  pointer: string;
  line?: number;
  column?: number;
}

/** One question asked of the engine. */
export interface Question {
  provider: Provider;
  principal: string;
  action: string;
  resource: string;
  context?: Record<string, unknown>;
}

/** A change of the candidate that an answer depends on: an overlay item, and the plan resource it came from. */
export interface ChangeRef {
  provider: Provider;
  /** The item's pointer in the provider's overlay (`/add/0`, `/allowPolicies/1`). */
  pointer: string;
  /** The Terraform resource addresses the item came from, when the change came from a plan. */
  addresses?: string[];
}

/** A decision the gate did not expect: for an invariant, one principal that may do what it must not. */
export interface Finding {
  question: Question;
  /** The full explanation. */
  decision: Decision;
  /** The candidate's changes this decision cites (empty when the baseline alone decides it). */
  changedBy: ChangeRef[];
}

export type ExpectationKind = 'must' | 'mustNot' | 'invariant';
export type ResultStatus = 'passed' | 'failed' | 'error';

export interface CheckResult {
  name: string;
  kind: ExpectationKind;
  provider: Provider;
  status: ResultStatus;
  /** One plain sentence: what was expected and what the engine answered. */
  message: string;
  /** Where the expectation is written. */
  location: FileLocation;
  /** must / mustNot: the decision expected, and the one given. */
  expected?: DecisionValue;
  actual?: DecisionValue;
  /** must / mustNot that failed: the question and its full explanation. */
  finding?: Finding;
  /** invariant: how many questions it asked, and those that broke it (at most `MAX_VIOLATIONS`). */
  questions?: number;
  violations?: Finding[];
  /** More violations than listed. */
  truncated?: boolean;
  /** status `error`: the expectation could not be asked (an unknown principal, a bad action). */
  problem?: Problem;
}

/** The candidate changes a report was computed with. */
export interface ChangeSet {
  /** `overlay` (an overlay file) or `terraform` (a plan). */
  source: 'overlay' | 'terraform';
  file?: string;
  changes: PlanChange[];
  unknowns: PlanUnknown[];
  warnings: { address: string; message: string }[];
}

export interface CheckSummary {
  total: number;
  passed: number;
  failed: number;
  errors: number;
}

export interface CheckReport {
  snapshot: { id: string; name?: string };
  /** The expectations file, as the user named it. */
  expectations: string;
  changes?: ChangeSet;
  results: CheckResult[];
  summary: CheckSummary;
}

export type DiffKind = 'new_access' | 'removed_access' | 'changed';

/** One decision that differs between the baseline and the candidate. */
export interface DiffEntry {
  kind: DiffKind;
  question: Question;
  /** `expectation` (named by the expectations file) or `probe` (the automatic probe set). */
  origin: 'expectation' | 'probe';
  expectation?: string;
  baseline: Decision;
  candidate: Decision;
  changedBy: ChangeRef[];
}

export interface DiffReport {
  baseline: { id: string; name?: string };
  changes: ChangeSet;
  /** How many questions were asked of each side. */
  questions: number;
  entries: DiffEntry[];
  summary: { newAccess: number; removedAccess: number; changed: number };
}
