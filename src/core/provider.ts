/** What a cloud provider gives the core. The core never reaches into a provider's internals. */
import type { Decision, Provider } from './decision.js';

export interface ProviderModule {
  name: Provider;
  /**
   * Answers one POST /v1/simulate body that already matches the API contract. Throws InputError for
   * input the contract cannot express (a bad ARN, an invalid policy), naming the field by JSON pointer.
   */
  simulate(body: unknown): Decision;
}
