/**
 * An ARM call (HTTP method and path) to the action RBAC checks: the provider namespace and the resource
 * types along the path (instance names dropped), then the verb: GET read, PUT/PATCH write, DELETE delete,
 * POST to an operation `{operation}/action`.
 * https://learn.microsoft.com/azure/role-based-access-control/resource-provider-operations
 * https://learn.microsoft.com/azure/role-based-access-control/role-definitions#actions-format
 */
import { InputError } from '../../src/core/problem.js';
import { lookupTable } from '../../src/core/lookup-table.js';

export type Verb = 'read' | 'write' | 'delete' | 'action';

const VERBS: Record<string, Verb> = lookupTable({ GET: 'read', HEAD: 'read', PUT: 'write', PATCH: 'write', DELETE: 'delete', POST: 'action' });

export interface DerivedAction {
  action: string;
  /** The resource the action is authorized on: the path, without the operation segment of a POST. */
  target: string;
  verb: Verb;
}

/** The verb an action string ends with (`.../listKeys/action` is a POST operation). */
export function verbOf(action: string): Verb {
  const last = action.slice(action.lastIndexOf('/') + 1).toLowerCase();
  return last === 'read' || last === 'write' || last === 'delete' ? last : 'action';
}

export function deriveAction(method: string, rawPath: string): DerivedAction {
  const verb = VERBS[method.toUpperCase()];
  if (!verb) throw new InputError('invalid_request', '/method', `method ${method} is not an ARM method (GET, PUT, PATCH, DELETE, POST, HEAD)`);
  const segments = rawPath.split('?')[0]!.split('/').filter((s) => s !== '');
  const lower = segments.map((s) => s.toLowerCase());
  const bad = (why: string) => new InputError('invalid_request', '/path', `${rawPath} is not an ARM resource path: ${why}`);
  const at = lower.lastIndexOf('providers');
  let types: string[];
  let rest: string[];
  if (at === -1) {
    // Containers without a provider segment: /subscriptions/{id}[/resourceGroups/{name}].
    if (lower[0] !== 'subscriptions' || segments.length < 2) throw bad('it names no /subscriptions/{id} and no /providers/{Namespace}');
    if (segments.length > 2 && lower[2] !== 'resourcegroups') throw bad(`unexpected segment ${segments[2]}`);
    types = ['Microsoft.Resources', 'subscriptions'];
    if (segments.length > 3) types.push('resourceGroups');
    rest = segments.slice(segments.length > 2 ? 4 : 2);
    if (segments.length === 3) rest = ['resourceGroups'];
  } else {
    const ns = segments[at + 1];
    if (!ns) throw bad('/providers/ is not followed by a namespace');
    types = [ns];
    rest = segments.slice(at + 2);
    if (rest.length === 0) throw bad(`no resource type after /providers/${ns}`);
    const pairs = rest.length - (rest.length % 2);
    for (let i = 0; i < pairs; i += 2) types.push(rest[i]!);
    rest = rest.length % 2 ? [rest[rest.length - 1]!] : [];
  }
  // One segment left over: a POST operation (`.../listKeys`), or a collection GET (list at the parent).
  let target = '/' + segments.join('/');
  if (rest.length === 1) {
    const up = segments.slice(0, -1);
    // A collection of top-level resources is listed at the resource group or subscription.
    if (up.length >= 2 && up[up.length - 2]!.toLowerCase() === 'providers') up.splice(-2);
    target = '/' + up.join('/');
    if (verb === 'action') return { action: `${types.join('/')}/${rest[0]}/action`, target, verb };
    if (verb === 'read') return { action: `${types.join('/')}/${rest[0]}/read`, target, verb };
    throw bad(`${method.toUpperCase()} needs a resource name after ${rest[0]}`);
  }
  if (verb === 'action') throw bad('a POST names an operation after the resource (for example .../listKeys)');
  return { action: `${types.join('/')}/${verb}`, target, verb };
}
