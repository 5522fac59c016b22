/**
 * What a provider gives the CI gate (iamsim check / diff): reading a Terraform plan into the provider's
 * overlay, the probe requests a diff asks, and the principals an invariant quantifies over.
 */
import type { Snapshot } from './snapshot.js';

/** One entry of `resource_changes` in `terraform show -json` output. */
export interface TerraformChange {
  address: string;
  mode?: string;
  type: string;
  name: string;
  index?: string | number;
  provider_name?: string;
  change: {
    actions: string[];
    before?: unknown;
    after?: unknown;
    /** Mirrors `after`: `true` where a value is known only after apply. */
    after_unknown?: unknown;
  };
}

/** The parts of `terraform show -json` output the gate reads. */
export interface TerraformPlan {
  format_version?: string;
  resource_changes?: TerraformChange[];
  /** Expressions with their references (`aws_iam_policy.deploy.arn`), to resolve values unknown until apply. */
  configuration?: unknown;
  prior_state?: unknown;
  planned_values?: unknown;
}

/** One IAM-relevant change of the plan, as the provider read it. */
export interface PlanChange {
  /** The Terraform resource address (`aws_iam_role_policy.deploy`, `module.x.google_project_iam_member.y["a"]`). */
  address: string;
  type: string;
  /** Terraform's actions: `create`, `update`, `delete`, or a replace (`delete` + `create`). */
  actions: string[];
  /** One plain sentence: what the change does to access. */
  summary: string;
}

/** A value the plan knows only after apply: the change is left out (or applied only in part), never guessed. */
export interface PlanUnknown {
  address: string;
  /** The attribute path, dotted (`policy`, `statement.0.resources`). */
  path: string;
  /** What the gate did about it, in a sentence. */
  effect: string;
}

/** What a provider made of a plan. */
export interface PlanOverlay {
  /** The provider's overlay (its simulate body's `overlay`), absent when the plan changes nothing of this provider. */
  overlay?: Record<string, unknown>;
  /** For each overlay item, by its pointer in the overlay (`/add/0`, `/allowPolicies/2`), the plan addresses it came from. */
  sources: Record<string, string[]>;
  changes: PlanChange[];
  unknowns: PlanUnknown[];
  warnings: { address: string; message: string }[];
}

/** One question the diff asks of the baseline and of the candidate. */
export interface Probe {
  principal: string;
  action: string;
  resource: string;
  context?: Record<string, unknown>;
}

export type PrincipalSet = 'all' | 'public' | 'external';

export interface CiSupport {
  /** The Terraform resource types this provider reads. */
  terraformTypes: readonly string[];
  /**
   * The plan's changes of those types (in plan order) as this provider's overlay on the snapshot.
   * Throws InputError (pointer into the plan file) for a change it cannot read.
   */
  fromTerraform(changes: readonly TerraformChange[], plan: TerraformPlan, snapshot: Snapshot): PlanOverlay;
  /**
   * The requests a diff asks on both sides: every principal of the snapshot (the public ones included)
   * x the sensitive actions on every resource or policy target the overlay touches.
   */
  probes(snapshot: Snapshot, overlay: Record<string, unknown>): Probe[];
  /**
   * The principals an invariant quantifies over, as a simulate body names them: `all` is every principal
   * of the snapshot plus the anonymous and public ones; `public` only those; `external` the principals
   * outside the organization (the public ones, and callers from accounts, tenants or domains it does not hold).
   * With the candidate's overlay, also the callers its changes name: a grant to a principal the snapshot
   * does not know is exactly what an invariant must catch.
   */
  principals(snapshot: Snapshot, which: PrincipalSet, overlay?: Record<string, unknown>): string[];
}
