/**
 * The AWS provider: custom simulation of one request against the policies it carries.
 */
import type { Decision } from '../../src/core/decision.js';
import type { ProviderModule } from '../../src/core/provider.js';
import { evaluate } from './evaluate.js';
import { explain } from './explain.js';
import { buildRequest, type AwsSimulateBody } from './request.js';

export function simulateAws(body: AwsSimulateBody): Decision {
  const req = buildRequest(body);
  const full = body.options?.explain === 'full';
  return explain(evaluate(req, full), full);
}

export const aws: ProviderModule = {
  name: 'aws',
  simulate: (body) => simulateAws(body as AwsSimulateBody),
};
