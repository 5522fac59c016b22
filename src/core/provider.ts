/** What a cloud provider gives the core. The core never reaches into a provider's internals. */
import type { CiSupport } from './ci.js';
import type { Decision, Provider, Warning } from './decision.js';
import type { GraphData } from './graph.js';
import type { Snapshot } from './snapshot.js';

/** An uploaded file, parsed. */
export interface ParsedFile {
  name: string;
  text: string;
  value: unknown;
}

/** A warning about an input file: which file and where in it. */
export interface LoadWarning extends Warning {
  file?: string;
}

export interface ProviderModule {
  name: Provider;
  /**
   * Answers one POST /v1/simulate body that carries its own policies and already matches the API contract.
   * Throws InputError for input the contract cannot express (a bad ARN, an invalid policy).
   */
  simulate(body: unknown): Decision;
  /** Is this uploaded file one of this provider's native inputs? */
  recognizes(file: ParsedFile): boolean;
  /** Native inputs to graph nodes and edges. Throws InputError (with file) for a file it cannot read. */
  load(files: ParsedFile[], warn: (w: LoadWarning) => void): GraphData;
  /** Provider indexes over a loaded snapshot (compiled policies, paths); built once per snapshot. */
  compile(snapshot: Snapshot, warn: (w: LoadWarning) => void): unknown;
  /** Answers a POST /v1/simulate body against a snapshot (no `policies`; an optional overlay). */
  simulateIn(snapshot: Snapshot, body: unknown): Decision;
  /** What the provider knows about one principal of the snapshot: groups, policies, guardrail path. */
  describePrincipal(snapshot: Snapshot, id: string): Record<string, unknown> | undefined;
  /** Terraform plans, diff probes and invariant principals, for the CI gate. */
  ci: CiSupport;
}

/**
 * What the core knows of a provider before loading it: enough to tell whether a snapshot needs it, so that
 * a command line run on one cloud's estate does not pay for loading the others' catalogues and engines.
 */
export interface ProviderEntry {
  name: Provider;
  /** The same test as ProviderModule.recognizes, from a module that loads nothing heavy. */
  recognizes(file: ParsedFile): boolean;
  /** Terraform resource types of this cloud start with it (`aws_`, `google_`, `azurerm_`). */
  terraformPrefix: string;
  load(): Promise<ProviderModule>;
}
