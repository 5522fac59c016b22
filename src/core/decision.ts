/**
 * The provider-neutral answer to "why would principal X get a 403 on action Y on resource Z?".
 * Every provider returns this shape; openapi.yaml (#/components/schemas/Decision) mirrors it.
 */

export type Provider = 'aws' | 'azure' | 'gcp';

/** conditional: the outcome depends on context the caller did not give. */
export type DecisionValue = 'allowed' | 'denied' | 'conditional';

/** guardrail: an SCP/RCP/boundary/session/endpoint/PAB/Azure Policy/org policy layer failed to allow or blocked. */
export type Reason = 'allowed' | 'explicit_deny' | 'no_grant' | 'guardrail';

/** Kleene truth value: unknown when a condition depends on context the caller did not give. */
export type Tri = true | false | 'unknown';

/** Where a policy or statement came from. pointer is a JSON pointer into `file`; line/column when it was text. */
export interface SourceLocation {
  file: string;
  pointer: string;
  line?: number;
  column?: number;
}

export interface PolicyRef {
  id: string;
  name: string;
  type: string;
  /** What the policy is attached to: a principal, an OU/account, a resource, an endpoint. */
  attachedTo?: string;
  /** True for policies the cloud adds by itself (e.g. RCPFullAWSAccess). */
  implicit?: boolean;
  source?: SourceLocation;
}

export interface StatementRef {
  sid?: string;
  index?: number;
  rule?: string;
  binding?: string;
  source?: SourceLocation;
}

/** grant: for allowed (or conditional) answers, the statement that grants. */
export type CauseKind = 'explicit_deny' | 'missing_grant' | 'blocked_by_guardrail' | 'grant';

export interface Cause {
  kind: CauseKind;
  layer: string;
  policy?: PolicyRef;
  statement?: StatementRef;
  /** For layered guardrails (SCP levels): the node whose level failed. */
  level?: string;
  why: string;
}

export interface ConditionTrace {
  operator: string;
  key: string;
  values: string[];
  /** The request's value(s) for the key; absent when the key was missing or unknown. */
  requestValues?: string[];
  /** Where the request value came from. */
  keySource: 'request' | 'derived' | 'default' | 'absent' | 'unknown';
  result: Tri;
  note?: string;
}

export interface MatchTrace {
  matched: Tri;
  /** The policy entry that matched, or a short reason it did not. */
  detail?: string;
}

export interface StatementTrace {
  sid?: string;
  index: number;
  effect: string;
  /** Overall: does the statement apply to this request? */
  applies: Tri;
  action: MatchTrace;
  resource: MatchTrace;
  principal?: MatchTrace & { how?: string };
  conditions: ConditionTrace[];
  source?: SourceLocation;
}

export interface PolicyTrace {
  policy: PolicyRef;
  statements?: StatementTrace[];
}

export type LayerVerdict = 'allow' | 'deny' | 'no_match' | 'not_applicable' | 'unknown';

export interface LayerTrace {
  layer: string;
  verdict: LayerVerdict;
  /** Why the layer does or does not apply, or how its verdict combines. */
  note?: string;
  /** For guardrails evaluated level by level (SCP/RCP): one entry per level, root first. */
  levels?: { target: string; verdict: LayerVerdict; policies: PolicyTrace[] }[];
  policies?: PolicyTrace[];
}

export interface MissingContext {
  key: string;
  /** Statements whose outcome depends on the key. */
  usedBy: { layer: string; policy: string; statement: StatementRef }[];
}

export interface NearMiss {
  layer: string;
  policy: PolicyRef;
  statement: StatementRef;
  /** What kept the grant from applying: action, resource, principal, condition. */
  failed: string[];
  why: string;
}

export interface CloudError {
  /** 403 when denied, 200 when allowed; for conditional, the status returned if the open conditions go against the caller. */
  status: number;
  code: string | null;
  message: string | null;
}

export interface Warning {
  code: string;
  message: string;
  pointer?: string;
}

export interface Decision {
  provider: Provider;
  decision: DecisionValue;
  reason: Reason;
  error: CloudError;
  summary: string;
  causes: Cause[];
  layers: LayerTrace[];
  missingContext: MissingContext[];
  nearMisses: NearMiss[];
  warnings: Warning[];
  /** GCP only: the answer in the shape of Policy Troubleshooter v3 (providers/gcp). */
  gcp?: Record<string, unknown>;
  /** Azure only: Azure-specific detail, such as the evaluated policy expressions (providers/azure). */
  azure?: Record<string, unknown>;
}

export type ExplainLevel = 'summary' | 'full';
