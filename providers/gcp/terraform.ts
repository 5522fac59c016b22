/**
 * A Terraform plan's Google Cloud IAM changes as a GcpOverlay: for each resource whose allow policy the
 * plan touches, the whole policy after the change (the snapshot's current policy, then every change on it
 * in plan order); for each deny policy, its new document or `null` when the plan deletes it.
 *
 * - `*_iam_member` adds or removes one member of one role (+ condition); non-authoritative.
 * - `*_iam_binding` is authoritative for one role (+ condition): it sets that binding's members.
 * - `*_iam_policy` replaces the whole allow policy with `policy_data`; deleting it sets an empty policy.
 *   https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_project_iam
 *   https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_folder_iam
 *   https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_organization_iam
 *   https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/storage_bucket_iam
 * - `google_iam_deny_policy`: `parent` (the URL-encoded full name of the attachment point), `name` (the
 *   policy id) and `rules`.
 *   https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/iam_deny_policy
 *
 * A binding is identified by its role and its condition's title, description and expression, as the
 * provider merges them. Values known only after apply are derived from the configuration when a service
 * account created in the same plan names them (`google_service_account.x.member`); otherwise the change
 * is left out and reported.
 */
import type { PlanChange, PlanOverlay, TerraformChange, TerraformPlan } from '../../src/core/ci.js';
import { InputError } from '../../src/core/problem.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { TerraformPlanReader, unknownPaths } from '../../src/core/terraform-plan.js';
import type { GcpEstate } from './estate.js';
import { isObj, str, strings, type Obj } from './inputs.js';
import { parseMember, principalId } from './members.js';
import { CRM, crmKind, lastSegment, storageParts, parseFullName } from './names.js';
import type { GcpOverlay } from './request.js';

type Level = 'organization' | 'folder' | 'project' | 'bucket';
type Kind = 'member' | 'binding' | 'policy';

/** Where each level names its resource, and the full resource name of that value. */
const LEVELS: Record<Level, { attr: string; fullName: (v: string) => string }> = {
  organization: { attr: 'org_id', fullName: (v) => `${CRM}organizations/${v.replace(/^organizations\//, '')}` },
  folder: { attr: 'folder', fullName: (v) => `${CRM}folders/${v.replace(/^folders\//, '')}` },
  project: { attr: 'project', fullName: (v) => `${CRM}projects/${v.replace(/^projects\//, '')}` },
  // The provider stores the bucket as `b/NAME` once imported or read back.
  bucket: { attr: 'bucket', fullName: (v) => `//storage.googleapis.com/projects/_/buckets/${v.replace(/^b\//, '')}` },
};

const DENY_TYPE = 'google_iam_deny_policy';

const IAM_TYPES: ReadonlyMap<string, { level: Level; kind: Kind }> = new Map(
  (['organization', 'folder', 'project', 'bucket'] as const).flatMap((level) =>
    (['binding', 'member', 'policy'] as const).map((kind) => [level === 'bucket' ? `google_storage_bucket_iam_${kind}` : `google_${level}_iam_${kind}`, { level, kind }] as const),
  ),
);

export const terraformTypes: readonly string[] = [...IAM_TYPES.keys(), DENY_TYPE];

/** Computed attributes that say nothing about access. */
const IGNORED_UNKNOWN = new Set(['etag', 'id']);

/** One binding as the provider identifies it. */
interface Grant {
  target: string;
  role: string;
  condition?: Obj;
  /** `*_iam_member` only. */
  member?: string;
}

interface Side {
  values: Obj;
  /** JSON pointer of `values` in the plan file. */
  pointer: string;
}

const same = (a: unknown, b: unknown) => (typeof a === 'string' ? a : '') === (typeof b === 'string' ? b : '');
const sameCondition = (a: Obj | undefined, b: Obj | undefined) => same(a?.expression, b?.expression) && same(a?.title, b?.title) && same(a?.description, b?.description);
const sameGrant = (a: Grant, b: Grant) => a.target === b.target && a.role === b.role && sameCondition(a.condition, b.condition);
const sameMember = (a: string, b: string) => principalId(a) === principalId(b);
const membersOf = (b: Obj): string[] => strings(b.members);

/** `a, b, c and 2 more` */
function list(items: readonly string[], max = 3): string {
  if (items.length === 0) return 'nobody';
  const shown = items.slice(0, max);
  const more = items.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  return shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}` : shown[0]!;
}

/** The Terraform condition block (a list of at most one) as an IAM condition (google.type.Expr). */
function conditionOf(v: unknown): Obj | undefined {
  const c = Array.isArray(v) ? v[0] : undefined;
  if (!isObj(c) || typeof c.expression !== 'string') return undefined;
  const out: Obj = { expression: c.expression };
  for (const k of ['title', 'description', 'location']) if (typeof c[k] === 'string' && c[k] !== '') out[k] = c[k];
  return out;
}

const conditionWords = (c: Obj | undefined) => (c ? ` under condition "${String(c.title ?? c.expression)}"` : '');

/** The allow policy's bindings array, created when the document has none. */
function bindingsOf(policy: Obj): Obj[] {
  if (!Array.isArray(policy.bindings)) policy.bindings = [];
  return policy.bindings as Obj[];
}

function findBinding(policy: Obj, g: Grant): Obj | undefined {
  return bindingsOf(policy).find((b) => b.role === g.role && sameCondition(isObj(b.condition) ? b.condition : undefined, g.condition));
}

function newBinding(g: Grant, members: string[]): Obj {
  return g.condition ? { role: g.role, members, condition: g.condition } : { role: g.role, members };
}

/** Sets a binding's members; no members removes the binding. */
function setMembers(policy: Obj, g: Grant, members: string[]): void {
  const b = findBinding(policy, g);
  if (b && members.length) b.members = members;
  else if (b) policy.bindings = bindingsOf(policy).filter((x) => x !== b);
  else if (members.length) bindingsOf(policy).push(newBinding(g, members));
  // Conditional role bindings need policy version 3 (https://cloud.google.com/iam/docs/policies#versions).
  if (g.condition && members.length) policy.version = 3;
}

class PlanReader {
  private readonly allow = new Map<string, { policy: Obj; addresses: string[] }>();
  private readonly deny = new Map<string, { item: NonNullable<GcpOverlay['denyPolicies']>[number]; addresses: string[] }>();
  readonly out: PlanOverlay = { sources: {}, changes: [], unknowns: [], warnings: [] };

  constructor(
    private readonly plan: TerraformPlanReader,
    private readonly estate: GcpEstate,
  ) {}

  read(c: TerraformChange): void {
    const actions = c.change.actions;
    const type = IAM_TYPES.get(c.type);
    if ((!type && c.type !== DENY_TYPE) || (c.mode !== undefined && c.mode !== 'managed') || actions.includes('no-op') || actions.includes('read')) return;
    const wantsAfter = actions.includes('create') || actions.includes('update');
    const after = wantsAfter && isObj(c.change.after) ? this.resolved(c) : undefined;
    // An in-place update left out is left out whole; a replace still removes what it deletes.
    const wantsBefore = actions.includes('delete') || (actions.includes('update') && after !== undefined);
    const before = wantsBefore && isObj(c.change.before) ? { values: c.change.before, pointer: this.plan.pointer(c, [], 'before') } : undefined;
    const words = type ? (type.kind === 'policy' ? this.readPolicy(c, type.level, before, after) : this.readGrant(c, type, before, after)) : this.readDeny(c, before, after);
    const summary = words.length ? words.join(', then ') : this.leftOut(c, type);
    this.out.changes.push({ address: c.address, type: c.type, actions: [...actions], summary } satisfies PlanChange);
  }

  /** `after` with what the configuration derives filled in, or undefined (reported) when something that matters stays unknown. */
  private resolved(c: TerraformChange): Side | undefined {
    const values = structuredClone(c.change.after) as Obj;
    const unknown: string[] = [];
    for (const path of unknownPaths(c.change.after_unknown)) {
      if (IGNORED_UNKNOWN.has(path)) continue;
      const derived = path === 'member' ? this.derivedMember(c) : undefined;
      if (derived !== undefined) values.member = derived;
      else unknown.push(path);
    }
    // One member of an authoritative binding can be left out; any other unknown value leaves the change out.
    const partial = c.type.endsWith('_iam_binding') ? unknown.filter((p) => /^members\.\d+$/.test(p)) : [];
    const blocking = unknown.filter((p) => !partial.includes(p));
    const effect = !blocking.length
      ? 'the binding is applied without this member'
      : c.change.actions.includes('delete')
        ? 'the new values are left out (what the change deletes is still removed)'
        : 'the change is left out';
    for (const path of unknown) this.out.unknowns.push({ address: c.address, path, effect: `known only after apply and not derivable from the plan: ${effect}` });
    return blocking.length ? undefined : { values, pointer: this.plan.pointer(c, []) };
  }

  /**
   * A member that names a service account created in the same plan: `serviceAccount:` + its email, which the
   * provider builds from `account_id` and `project`.
   * https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_service_account
   * https://cloud.google.com/iam/docs/service-account-types (user-managed: SA_NAME@PROJECT_ID.iam.gserviceaccount.com)
   */
  private derivedMember(c: TerraformChange): string | undefined {
    const ref = this.plan.referencedChange(c, ['member']);
    if (ref?.change.type !== 'google_service_account' || ref.attribute.join('.') !== 'member') return undefined;
    const after = isObj(ref.change.change.after) ? ref.change.change.after : {};
    const id = str(after.account_id);
    const project = str(after.project);
    if (!id || !project) return undefined;
    const member = `serviceAccount:${id}@${project}.iam.gserviceaccount.com`;
    return parseMember(member).kind === 'serviceAccount' ? member : undefined;
  }

  private text(side: Side, attr: string): string {
    const v = side.values[attr];
    if (typeof v !== 'string' || v === '') throw new InputError('invalid_request', `${side.pointer}/${attr}`, `${attr} must be a non-empty string`);
    return v;
  }

  /** The snapshot resource a side names, or undefined (warned) when the snapshot does not hold it. */
  private target(c: TerraformChange, level: Level, side: Side): string | undefined {
    const name = this.estate.canonical(LEVELS[level].fullName(this.text(side, LEVELS[level].attr)));
    if (this.estate.scope(name)) return name;
    this.out.warnings.push({ address: c.address, message: `${name} is not in the snapshot: the change to its allow policy is left out` });
    return undefined;
  }

  private grant(c: TerraformChange, t: { level: Level; kind: Kind }, side: Side): Grant | undefined {
    const target = this.target(c, t.level, side);
    if (!target) return undefined;
    const g: Grant = { target, role: this.text(side, 'role') };
    if (t.kind === 'member') g.member = this.text(side, 'member');
    const condition = conditionOf(side.values.condition);
    if (condition) g.condition = condition;
    return g;
  }

  /** The working copy of a resource's allow policy, starting from the snapshot's; `address` is one of its sources. */
  private policy(resource: string, address: string): Obj {
    let entry = this.allow.get(resource);
    if (!entry) {
      const current = this.estate.allow.get(resource)?.document;
      entry = { policy: current ? structuredClone(current) : { version: 1, bindings: [] }, addresses: [] };
      this.allow.set(resource, entry);
    }
    if (!entry.addresses.includes(address)) entry.addresses.push(address);
    return entry.policy;
  }

  private describe(resource: string): string {
    const kind = crmKind(resource);
    const scope = this.estate.scope(resource);
    if (kind === 'project') return `project ${lastSegment(resource)}`;
    if (kind) return scope?.name && scope.name !== lastSegment(resource) ? `${kind} ${scope.name} (${lastSegment(resource)})` : `${kind} ${lastSegment(resource)}`;
    const bucket = storageParts(parseFullName(resource)?.relative ?? '')?.bucket;
    return bucket ? `bucket ${bucket}` : resource;
  }

  /** `*_iam_member` and `*_iam_binding`: what the old values held is removed, then the new values are applied. */
  private readGrant(c: TerraformChange, t: { level: Level; kind: Kind }, before: Side | undefined, after: Side | undefined): string[] {
    const b = before && this.grant(c, t, before);
    const a = after && this.grant(c, t, after);
    const words: string[] = [];
    const moved = b && (!a || !sameGrant(a, b) || (t.kind === 'member' && !sameMember(a.member!, b.member!)));
    if (b && moved) {
      const policy = this.policy(b.target, c.address);
      const left = t.kind === 'member' ? membersOf(findBinding(policy, b) ?? {}).filter((m) => !sameMember(m, b.member!)) : [];
      setMembers(policy, b, left);
      words.push(t.kind === 'member' ? `revokes ${b.role} from ${b.member} on ${this.describe(b.target)}${conditionWords(b.condition)}` : `removes the ${b.role} binding${conditionWords(b.condition)} from ${this.describe(b.target)}`);
    }
    if (a && after) {
      const policy = this.policy(a.target, c.address);
      if (t.kind === 'member') {
        const current = membersOf(findBinding(policy, a) ?? {});
        setMembers(policy, a, current.some((m) => sameMember(m, a.member!)) ? current : [...current, a.member!]);
        words.push(`grants ${a.role} to ${a.member} on ${this.describe(a.target)}${conditionWords(a.condition)}`);
      } else {
        const members = membersOf(after.values);
        setMembers(policy, a, members);
        words.push(`sets the members of ${a.role}${conditionWords(a.condition)} on ${this.describe(a.target)} to ${list(members, 5)}`);
      }
    }
    return words;
  }

  /** `*_iam_policy`: the new document replaces the whole policy; deleting the resource leaves an empty policy. */
  private readPolicy(c: TerraformChange, level: Level, before: Side | undefined, after: Side | undefined): string[] {
    const b = before && this.target(c, level, before);
    const a = after && this.target(c, level, after);
    const words: string[] = [];
    const replace = (resource: string, doc: Obj) => {
      const policy = this.policy(resource, c.address);
      for (const k of Object.keys(policy)) delete policy[k];
      Object.assign(policy, doc);
    };
    if (b && b !== a) {
      replace(b, { bindings: [] });
      words.push(`removes every binding from the allow policy of ${this.describe(b)}`);
    }
    if (a && after) {
      const doc = this.policyData(after);
      replace(a, doc);
      const roles = [...new Set(bindingsOf(doc).map((x) => String(x.role)))];
      words.push(`replaces the allow policy of ${this.describe(a)} with ${roles.length ? `bindings of ${list(roles)}` : 'no bindings'}`);
    }
    return words;
  }

  /** What a change that was left out would have done, in words, from the values the plan knows. */
  private leftOut(c: TerraformChange, t: { level: Level; kind: Kind } | undefined): string {
    const adds = c.change.actions.includes('create') || c.change.actions.includes('update');
    const v = adds && isObj(c.change.after) ? c.change.after : isObj(c.change.before) ? c.change.before : {};
    const known = (x: unknown) => (typeof x === 'string' && x ? x : '(known after apply)');
    const why = ' (left out of the candidate)';
    if (!t) return `${c.change.actions.includes('create') ? 'attaches' : adds ? 'changes' : 'removes'} deny policy ${known(v.name)}${why}`;
    const where = `${t.level} ${known(v[LEVELS[t.level].attr])}`;
    if (t.kind === 'policy') return `${adds ? 'replaces the allow policy' : 'removes every binding from the allow policy'} of ${where}${why}`;
    const who = t.kind === 'member' ? known(v.member) : adds ? 'members known after apply' : 'every member';
    return `${adds ? `grants ${known(v.role)} to ${who}` : `revokes ${known(v.role)} from ${who}`} on ${where}${why}`;
  }

  /** `policy_data`: the JSON allow policy (`data.google_iam_policy.x.policy_data`). */
  private policyData(side: Side): Obj {
    const pointer = `${side.pointer}/policy_data`;
    let doc: unknown;
    try {
      doc = JSON.parse(this.text(side, 'policy_data'));
    } catch (e) {
      if (e instanceof InputError) throw e;
      throw new InputError('invalid_policy', pointer, 'policy_data is not JSON');
    }
    const ok = isObj(doc) && (doc.bindings === undefined || (Array.isArray(doc.bindings) && doc.bindings.every((b) => isObj(b) && typeof b.role === 'string' && Array.isArray(b.members) && b.members.every((m) => typeof m === 'string'))));
    if (!ok) throw new InputError('invalid_policy', pointer, 'policy_data must be an allow policy: {"bindings": [{"role": "...", "members": ["..."]}]}');
    return { bindings: [], ...(doc as Obj) };
  }

  /** A deny policy's overlay name and attachment point; undefined (warned) when the attachment point is not in the snapshot. */
  private denyTarget(c: TerraformChange, side: Side): { name: string; id: string; attachmentPoint: string; existing: boolean } | undefined {
    const parent = this.text(side, 'parent');
    const id = this.text(side, 'name');
    let decoded: string;
    try {
      decoded = decodeURIComponent(parent);
    } catch {
      throw new InputError('invalid_request', `${side.pointer}/parent`, 'parent must be the URL-encoded full resource name of the attachment point');
    }
    const bare = decoded.replace(/^\/\//, '');
    const attachmentPoint = this.estate.canonical(`//${bare}`);
    if (!this.estate.scope(attachmentPoint)) {
      this.out.warnings.push({ address: c.address, message: `${attachmentPoint} is not in the snapshot: the deny policy change is left out` });
      return undefined;
    }
    const existing = [...this.estate.denyAt(attachmentPoint)].find((p) => p.id === id);
    return { name: existing?.name ?? `policies/${encodeURIComponent(bare)}/denypolicies/${id}`, id, attachmentPoint, existing: !!existing };
  }

  private setDeny(name: string, item: NonNullable<GcpOverlay['denyPolicies']>[number], address: string): void {
    const entry = this.deny.get(name);
    if (entry) {
      entry.item = item;
      if (!entry.addresses.includes(address)) entry.addresses.push(address);
    } else this.deny.set(name, { item, addresses: [address] });
  }

  private readDeny(c: TerraformChange, before: Side | undefined, after: Side | undefined): string[] {
    const a = after && this.denyTarget(c, after);
    const b = before && this.denyTarget(c, before);
    const words: string[] = [];
    if (b && b.name !== a?.name) {
      // Only a policy the snapshot (or an earlier change) holds can be removed: the overlay answers 404 for others.
      if (b.existing) this.setDeny(b.name, { name: b.name, policy: null }, c.address);
      if (b.existing || this.deny.delete(b.name)) words.push(`removes deny policy ${b.id} from ${this.describe(b.attachmentPoint)}`);
      else this.out.warnings.push({ address: c.address, message: `deny policy ${b.name} is not in the snapshot: there is nothing to remove` });
    }
    if (a && after) {
      const policy = this.denyDocument(a.name, after);
      this.setDeny(a.name, { name: a.name, attachmentPoint: a.attachmentPoint, policy }, c.address);
      const rules = (policy.rules as Obj[]).map((r) => r.denyRule as Obj);
      const perms = [...new Set(rules.flatMap((r) => r.deniedPermissions as string[]))];
      const who = [...new Set(rules.flatMap((r) => r.deniedPrincipals as string[]))];
      words.push(`${b && b.name === a.name ? 'changes' : 'attaches'} deny policy ${a.id} ${b && b.name === a.name ? 'on' : 'to'} ${this.describe(a.attachmentPoint)}: denies ${list(perms)} to ${list(who)}`);
    }
    return words;
  }

  /** The deny policy as the IAM v2 API returns it, from the resource's `rules` blocks. */
  private denyDocument(name: string, side: Side): Obj {
    const rules = side.values.rules;
    if (!Array.isArray(rules)) throw new InputError('invalid_request', `${side.pointer}/rules`, 'rules must be a list of rule blocks');
    const doc: Obj = {
      name,
      rules: rules.map((r, i) => {
        const block = isObj(r) && Array.isArray(r.deny_rule) && isObj(r.deny_rule[0]) ? r.deny_rule[0] : undefined;
        if (!block) throw new InputError('invalid_request', `${side.pointer}/rules/${i}/deny_rule`, 'a rule needs a deny_rule block');
        const denyRule: Obj = {
          deniedPrincipals: strings(block.denied_principals),
          exceptionPrincipals: strings(block.exception_principals),
          deniedPermissions: strings(block.denied_permissions),
          exceptionPermissions: strings(block.exception_permissions),
        };
        const condition = conditionOf(block.denial_condition);
        if (condition) denyRule.denialCondition = condition;
        const rule: Obj = { denyRule };
        if (isObj(r) && typeof r.description === 'string' && r.description) rule.description = r.description;
        return rule;
      }),
    };
    if (typeof side.values.display_name === 'string' && side.values.display_name) doc.displayName = side.values.display_name;
    return doc;
  }

  finish(): PlanOverlay {
    const overlay: GcpOverlay = {};
    if (this.allow.size) {
      overlay.allowPolicies = [...this.allow].map(([resource, e], i) => {
        this.out.sources[`/allowPolicies/${i}`] = e.addresses;
        return { resource, policy: e.policy };
      });
    }
    if (this.deny.size) {
      overlay.denyPolicies = [...this.deny.values()].map((e, i) => {
        this.out.sources[`/denyPolicies/${i}`] = e.addresses;
        return e.item;
      });
    }
    return overlay.allowPolicies || overlay.denyPolicies ? { ...this.out, overlay: overlay as Record<string, unknown> } : this.out;
  }
}

/** The plan's Google Cloud IAM changes (already filtered to `terraformTypes`, in plan order) as a GcpOverlay. */
export function fromTerraform(changes: readonly TerraformChange[], plan: TerraformPlan, snapshot: Snapshot): PlanOverlay {
  const reader = new PlanReader(new TerraformPlanReader(plan), snapshot.compiledFor<GcpEstate>('gcp'));
  for (const c of changes) reader.read(c);
  return reader.finish();
}
