/**
 * IAM Conditions for this provider: which attributes a request provides, which it lacks because the caller
 * did not give them (→ UNKNOWN_CONDITIONAL), and which the service never provides (→ the condition part
 * is an error and never grants). The CEL itself is cel.ts.
 * https://cloud.google.com/iam/docs/conditions-attribute-reference
 * https://cloud.google.com/iam/docs/conditions-resource-attributes
 */
import type { Tri } from '../../src/core/decision.js';
import { TAGS_ATTRIBUTE } from './cel-functions.js';
import { compileCondition, evaluateCondition, type CompiledCondition, type ConditionState } from './cel.js';
import { resourceTypeOf, type FullName } from './names.js';

export interface ConditionInput {
  title?: string;
  description?: string;
  expression: string;
}

export interface CompiledOrError {
  input: ConditionInput;
  compiled?: CompiledCondition;
  /** A syntax error: the condition never evaluates to true. */
  error?: { message: string; offset?: number };
}

export function compile(input: ConditionInput): CompiledOrError {
  try {
    return { input, compiled: compileCondition(input.expression, input.title ?? '') };
  } catch (e) {
    const offset = (e as { offset?: unknown }).offset;
    return { input, error: typeof offset === 'number' ? { message: (e as Error).message, offset } : { message: (e as Error).message } };
  }
}

export interface ConditionOutcome {
  value: Tri;
  states: ConditionState[];
  /** Attributes the caller could give and did not. */
  unknown: string[];
  /** Attributes the service does not provide. */
  unsupported: string[];
  errors: string[];
}

/** The attribute values of one request, and the attributes that are unknown. */
export interface RequestAttributes {
  values: Record<string, unknown>;
  unknown: Set<string>;
  tags?: { byName: Record<string, string>; byId: Record<string, string> };
}

export function evaluate(c: CompiledOrError, attrs: RequestAttributes): ConditionOutcome {
  if (!c.compiled) return { value: false, states: [], unknown: [], unsupported: [], errors: [c.error?.message ?? 'the condition does not compile'] };
  // The same attrs object for every condition of a request: cel.ts keeps the request's CEL values with it.
  const out = evaluateCondition(c.compiled, attrs);
  const unsupported = c.compiled.attributes.filter((a) => a !== TAGS_ATTRIBUTE && !(a in attrs.values) && !attrs.unknown.has(a));
  return { value: out.value, states: out.states, unknown: out.missing, unsupported, errors: out.errors };
}

/**
 * Services that populate resource.name / resource.type / resource.service. Everything else: those
 * attributes are unavailable, and a condition part that reads them never grants.
 * https://cloud.google.com/iam/docs/conditions-resource-attributes
 */
const RESOURCE_ATTRIBUTE_SERVICES = new Set([
  'apigee', 'apihub', 'integrations', 'backupdr', 'bigquery', 'bigqueryreservation', 'bigtableadmin', 'binaryauthorization', 'clouddeploy',
  'cloudkms', 'logging', 'sqladmin', 'storage', 'compute', 'dataform', 'dns', 'container', 'firestore', 'datastore', 'connectors',
  'managedkafka', 'networksecurity', 'parametermanager', 'networkservices', 'pubsublite', 'secretmanager', 'spanner',
]);
/** Resource Manager (projects, folders, organizations) and IAP give type and service, not name. */
const TYPE_ONLY_SERVICES = new Set(['cloudresourcemanager', 'iap']);

/** Attributes a caller may give in `context` (request-time facts iamsim cannot derive). */
export const CONTEXT_ATTRIBUTES = ['request.time', 'destination.ip', 'destination.port', 'request.path', 'request.host', 'request.auth.access_levels'] as const;

const IAP_ONLY: ReadonlySet<string> = new Set(['iap']);
const IAP_AND_RUN: ReadonlySet<string> = new Set(['iap', 'run']);

/** Which services provide the request attributes other than request.time (IAP and Cloud Run). */
function requestAttributeServices(attr: string): ReadonlySet<string> {
  return attr === 'destination.ip' || attr === 'destination.port' || attr === 'request.auth.access_levels' ? IAP_ONLY : IAP_AND_RUN;
}

const MODIFIED_GRANTS = 'api.getAttribute:iam.googleapis.com/modifiedGrantsByRole';

/**
 * The attributes of a request on `resource` (`name` is it parsed) for `permission`: derived ones, the caller's
 * `context`, and the unknown set (attributes the service provides but the caller did not give); `tags` are the resource's.
 */
export function requestAttributes(resource: string, name: FullName, permission: string, context: Record<string, unknown>, modifiedGrants: string[] | undefined, tags?: RequestAttributes['tags']): RequestAttributes {
  const values: Record<string, unknown> = {};
  const unknown = new Set<string>();
  const service = name.host.endsWith(GOOGLEAPIS) ? name.host.slice(0, -GOOGLEAPIS.length) : name.host;
  if (RESOURCE_ATTRIBUTE_SERVICES.has(service) || TYPE_ONLY_SERVICES.has(service)) {
    values['resource.service'] = `${service}.googleapis.com`;
    const type = resourceTypeOf(resource);
    if (type) values['resource.type'] = type;
    if (!TYPE_ONLY_SERVICES.has(service)) values['resource.name'] = name.relative;
  }
  for (const attr of CONTEXT_ATTRIBUTES) {
    if (attr in context) values[attr] = context[attr];
    else if (attr === 'request.time' || requestAttributeServices(attr).has(service)) unknown.add(attr);
  }
  for (const k of ['resource.name', 'resource.type', 'resource.service']) if (k in context) values[k] = context[k];
  // modifiedGrantsByRole: setIamPolicy on projects, folders and organizations only.
  // https://cloud.google.com/iam/docs/conditions-attribute-reference#api-attributes-iam
  if (permission.endsWith('.setIamPolicy') && service === 'cloudresourcemanager') {
    if (modifiedGrants) values[MODIFIED_GRANTS] = modifiedGrants;
    else unknown.add(MODIFIED_GRANTS);
  }
  return { values, unknown, tags };
}

const GOOGLEAPIS = '.googleapis.com';
