/**
 * Custom organization policy constraints: `organizations/ORG/customConstraints/custom.NAME` with `resourceTypes`,
 * `methodTypes`, a CEL `condition` over `resource.*` and `actionType`. A constraint enforces nothing until a
 * policy with `enforce: true` names it; then a CREATE or UPDATE of a matching resource is refused when a DENY
 * condition is true or an ALLOW condition is false.
 * https://cloud.google.com/resource-manager/docs/organization-policy/creating-managing-custom-constraints
 * https://cloud.google.com/organization-policy/reference/rest/v2/organizations.customConstraints
 */
import type { SourceLocation, Tri } from '../../src/core/decision.js';
import { toV2Permission } from './catalog.js';
import { compile, evaluate, type CompiledOrError } from './conditions.js';
import { isObj, str, type Obj } from './inputs.js';
import { lastSegment, resourceTypeOf } from './names.js';

export interface CustomConstraint {
  /** organizations/ORG/customConstraints/custom.NAME */
  name: string;
  /** custom.NAME: how policies name it. */
  id: string;
  methodTypes: ReadonlySet<string>;
  action: 'ALLOW' | 'DENY';
  condition: CompiledOrError;
  description: string;
  source: SourceLocation;
}

/** Compiled once at load (the loader has checked actionType, resourceTypes and methodTypes). */
export function readCustomConstraint(name: string, doc: Obj, source: SourceLocation): CustomConstraint {
  return {
    name, id: lastSegment(name),
    methodTypes: new Set(doc.methodTypes as string[]),
    action: doc.actionType === 'ALLOW' ? 'ALLOW' : 'DENY',
    condition: compile({ title: str(doc.displayName) ?? '', expression: String(doc.condition) }),
    description: str(doc.description) ?? str(doc.displayName) ?? '',
    source,
  };
}

/** The custom constraint method type of a permission: its verb create / update (other verbs are not checked here). */
export function methodTypeOf(permission: string): 'CREATE' | 'UPDATE' | undefined {
  const verb = permission.slice(permission.lastIndexOf('.') + 1);
  return verb === 'create' ? 'CREATE' : verb === 'update' ? 'UPDATE' : undefined;
}

/**
 * The resource type a call creates or updates: for CREATE the permission's collection under its service's API
 * host (`storage.buckets.create` on a project creates a `storage.googleapis.com/Bucket`), for UPDATE the requested
 * resource's asset type.
 */
export function resourceTypeFor(permission: string, method: 'CREATE' | 'UPDATE', resource: string): string | undefined {
  if (method === 'UPDATE') return resourceTypeOf(resource);
  // The v2 spelling names the API host (resourcemanager.projects.create -> cloudresourcemanager.googleapis.com/projects.create).
  const v2 = toV2Permission(permission);
  const slash = v2.indexOf('/');
  const host = v2.slice(0, slash);
  const collection = v2.slice(slash + 1, v2.indexOf('.', slash));
  // Cloud Storage names put every resource under a bucket (projects/_/buckets/B/objects/O).
  if (host === 'storage.googleapis.com') return resourceTypeOf(`//${host}/projects/_/buckets/_${collection === 'buckets' ? '' : `/${collection}/_`}`);
  return resourceTypeOf(`//${host}/${collection}/_`);
}

export interface CustomOutcome {
  /** true: the constraint refuses the call; 'unknown': it depends on resource fields the request did not give. */
  violated: Tri;
  /** The `resource.*` fields the condition reads that are not given. */
  missing: string[];
}

/** A field of the resource by its CEL path (`resource.a.b`), or undefined when some step is absent. */
function fieldAt(data: Obj, path: string): unknown {
  let v: unknown = data;
  for (const key of path.split('.').slice(1)) {
    if (!isObj(v) || !Object.hasOwn(v, key)) return undefined;
    v = v[key];
  }
  return v;
}

/** The condition against the resource's fields (`data` undefined: none given, so every field it reads is unknown). */
export function checkCustom(c: CustomConstraint, data: Obj | undefined): CustomOutcome {
  const values: Record<string, unknown> = {};
  const unknown = new Set<string>();
  for (const path of c.condition.compiled?.attributes ?? []) {
    if (!path.startsWith('resource.')) continue;
    const v = data && fieldAt(data, path);
    if (v === undefined) unknown.add(path);
    else values[path] = v;
  }
  const out = evaluate(c.condition, { values, unknown });
  // A condition iamsim cannot evaluate (the loader warned) decides nothing.
  if (out.errors.length) return { violated: false, missing: [] };
  if (out.value === 'unknown') return { violated: 'unknown', missing: out.unknown };
  return { violated: c.action === 'DENY' ? out.value : !out.value, missing: [] };
}
