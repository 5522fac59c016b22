/**
 * A Terraform plan's IAM changes as an AWS overlay (the `overlay` of a snapshot-mode simulate body). Each
 * change says which policy documents it sets and which attachments it makes or breaks; the candidate is
 * compared with the snapshot at the end and only the differences become overlay items. Values known only
 * after apply are traced through the plan's configuration to resources of the same plan; what cannot be
 * traced is reported as unknown, never guessed.
 */
import type { PlanChange, PlanOverlay, PlanUnknown, TerraformChange, TerraformPlan } from '../../src/core/ci.js';
import type { PrincipalNode } from '../../src/core/graph.js';
import { InputError } from '../../src/core/problem.js';
import type { Snapshot } from '../../src/core/snapshot.js';
import { isAccountId, splitArn } from './arn.js';
import type { AwsEstate } from './estate.js';
import { managedPolicyFromPackage } from './load.js';
import { compilePolicy, type PolicyKind } from './policy.js';
import { isObj, TerraformPlanReader, type Path, type Side } from '../../src/core/terraform-plan.js';
import { lookupTable } from '../../src/core/lookup-table.js';

export const TERRAFORM_TYPES = [
  'aws_iam_policy',
  'aws_iam_role',
  'aws_iam_role_policy',
  'aws_iam_role_policy_attachment',
  'aws_iam_user_policy',
  'aws_iam_user_policy_attachment',
  'aws_iam_group_policy',
  'aws_iam_group_policy_attachment',
  'aws_iam_policy_attachment',
  'aws_s3_bucket_policy',
  'aws_kms_key',
  'aws_organizations_policy',
  'aws_organizations_policy_attachment',
] as const;
type TerraformType = (typeof TERRAFORM_TYPES)[number];

type Attachment = 'identity' | 'boundary' | 'scp' | 'rcp' | 'resource' | 'trust';
type Holder = 'role' | 'user' | 'group';
type Op = 'create' | 'update' | 'delete';

const POLICY_KIND: Record<Attachment, PolicyKind> = { identity: 'identity', boundary: 'permissions_boundary', scp: 'scp', rcp: 'rcp', resource: 'resource', trust: 'resource' };
/** The overlay schema's limit on each list (openapi.yaml AwsOverlay). */
const MAX_ITEMS = 100;

interface Edge {
  kind: Attachment;
  target: string;
  addresses: string[];
}

/** One policy as the candidate holds it: the document the plan gives it, and the attachments it makes and breaks. */
interface PolicyPlan {
  /** The snapshot's policy id, or `tf:<address>` for a policy the snapshot does not hold. */
  key: string;
  name: string;
  /** The document from the plan, and the changes that set it. */
  doc?: { document: unknown; addresses: string[] };
  /** The document known without the plan: the snapshot's, or an AWS managed policy's from the package. */
  base?: unknown;
  attach: Map<string, Edge>;
  detach: Map<string, Edge>;
}

const edgeKey = (kind: string, target: string) => `${kind}\u0000${target}`;

/** JSON with sorted keys: two documents are the same policy when they print the same. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Two planned values of a document attribute (JSON text) say the same, whatever their spacing and key order. */
function sameText(a: unknown, b: unknown): boolean {
  const read = (v: unknown) => {
    if (typeof v !== 'string') return canonical(v);
    try {
      return canonical(JSON.parse(v));
    } catch {
      return v;
    }
  };
  return read(a) === read(b);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The account of a customer managed policy ARN: IAM attaches policies within one account. */
function accountOf(arn: unknown): string | undefined {
  const a = typeof arn === 'string' ? splitArn(arn)?.account : undefined;
  return a && isAccountId(a) ? a : undefined;
}

class PlanReader {
  readonly changes: PlanChange[] = [];
  readonly unknowns: PlanUnknown[] = [];
  readonly warnings: { address: string; message: string }[] = [];
  private readonly policies = new Map<string, PolicyPlan>();
  private byName?: Map<string, { arns: string[]; nodes: PrincipalNode[] }>;

  constructor(
    readonly plan: TerraformPlanReader,
    readonly estate: AwsEstate,
  ) {}

  get graph() {
    return this.estate.snapshot.graph;
  }

  warn(address: string, message: string): void {
    this.warnings.push({ address, message });
  }

  unknown(address: string, path: string, effect: string): void {
    this.unknowns.push({ address, path, effect });
  }

  value(c: TerraformChange, side: Side, attr: string): unknown {
    return this.plan[side](c, [attr]);
  }

  isUnknown(c: TerraformChange, path: Path): boolean {
    return this.plan.isUnknown(c, path);
  }

  /** Did the change alter this attribute (a document compared as JSON)? */
  changed(c: TerraformChange, attr: string): boolean {
    return this.isUnknown(c, [attr]) || !sameText(this.value(c, 'before', attr), this.value(c, 'after', attr));
  }

  // ---- documents -------------------------------------------------------------------------------------

  /** Parses and checks a policy document given as JSON text at a path of a change's planned values. */
  private parse(c: TerraformChange, path: Path, text: string, kind: PolicyKind): unknown {
    const pointer = this.plan.pointer(c, path);
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw new InputError('invalid_policy', pointer, `${path.join('.')} of ${c.address} is not JSON`);
    }
    try {
      compilePolicy(kind, document);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      throw new InputError('invalid_policy', pointer, `${path.join('.')} of ${c.address} is not a valid policy: ${e.message}${e.pointer ? ` (at ${e.pointer})` : ''}`);
    }
    return document;
  }

  /**
   * The document a change gives an attribute after apply. When it is known only after apply, it is taken
   * from the resource of this plan that the configuration refers to if that one knows it; otherwise it is
   * reported with `effect` and left out.
   */
  private plannedDoc(c: TerraformChange, path: Path, kind: PolicyKind, effect: string): { document: unknown } | undefined {
    if (this.isUnknown(c, path)) {
      const ref = this.plan.referencedChange(c, path);
      const text = ref?.attribute.length && !this.isUnknown(ref.change, ref.attribute) ? str(this.plan.after(ref.change, ref.attribute)) : undefined;
      if (ref && text) return { document: this.parse(ref.change, ref.attribute, text, kind) };
      this.unknown(c.address, path.join('.'), effect);
      return undefined;
    }
    const text = str(this.plan.after(c, path));
    return text ? { document: this.parse(c, path, text, kind) } : undefined;
  }

  // ---- the candidate's policies ----------------------------------------------------------------------

  policy(key: string, name: string): PolicyPlan {
    let p = this.policies.get(key);
    if (!p) {
      p = { key, name, attach: new Map(), detach: new Map() };
      const node = this.graph.policy(key);
      if (node) {
        p.base = node.document;
        p.name = node.name;
      }
      this.policies.set(key, p);
    }
    return p;
  }

  /** Sets a policy's document (of the grammar `kind`) from a change's planned value; false when it is not known. */
  setDoc(p: PolicyPlan, c: TerraformChange, path: Path, kind: PolicyKind, effect: string): boolean {
    const d = this.plannedDoc(c, path, kind, effect);
    if (!d) return false;
    if (p.doc) p.doc.addresses.push(c.address);
    else p.doc = { document: d.document, addresses: [c.address] };
    return true;
  }

  attach(p: PolicyPlan, kind: Attachment, target: string, address: string): void {
    edge(p.attach, kind, target, address);
  }

  detach(p: PolicyPlan, kind: Attachment, target: string, address: string): void {
    edge(p.detach, kind, target, address);
  }

  /** Detaches a policy from everything the snapshot attaches it to (the plan deletes it). */
  detachAll(p: PolicyPlan, address: string): number {
    const stored = this.graph.attachmentsOf(p.key).filter((a) => a.kind in POLICY_KIND);
    for (const a of stored) this.detach(p, a.kind as Attachment, a.target, address);
    return stored.length;
  }

  /**
   * A policy one change both writes and attaches (`<role>#trust`, `<bucket>#policy`, an inline policy). A
   * document known only after apply leaves it as the snapshot has it.
   */
  setAttached(c: TerraformChange, key: string, name: string, kind: Attachment, target: string, path: Path, effect: string): void {
    const p = this.policy(key, name);
    if (this.setDoc(p, c, path, POLICY_KIND[kind], effect)) this.attach(p, kind, target, c.address);
  }

  /** The managed policy an aws_iam_policy change stands for (the snapshot's when its ARN is there), with its planned document. */
  policyOfChange(c: TerraformChange, side: Side = 'after'): PolicyPlan {
    const arn = str(this.value(c, side, 'arn')) ?? str(this.value(c, 'before', 'arn'));
    const name = str(this.value(c, side, 'name')) ?? c.address;
    const known = arn !== undefined && this.graph.policy(arn) !== undefined;
    const p = this.policy(known ? arn : `tf:${c.address}`, name);
    if (!known && !p.doc && side === 'after') this.setDoc(p, c, ['policy'], 'identity', `the document of new policy ${name} is known only after apply: its attachments are left out`);
    return p;
  }

  /** A managed policy by ARN: the snapshot's, one this plan creates, or an AWS managed policy from the package. */
  policyByArn(arn: string, address: string): PolicyPlan | undefined {
    if (this.graph.policy(arn)) return this.policy(arn, arn);
    const created = this.plan.withValue('aws_iam_policy', 'arn', arn);
    if (created) return this.policyOfChange(created);
    const packaged = arn.startsWith('arn:aws:iam::aws:policy/') ? managedPolicyFromPackage(arn) : undefined;
    if (packaged) {
      const p = this.policy(arn, packaged.name);
      p.base = packaged.document;
      return p;
    }
    this.warn(address, `policy ${arn} is neither in the snapshot nor in this plan: its attachment is left out`);
    return undefined;
  }

  /** The managed policy a change's ARN attribute names; an ARN known only after apply is traced to an aws_iam_policy of the plan. */
  managedPolicy(c: TerraformChange, attr: string, side: Side): PolicyPlan | undefined {
    if (side === 'after' && this.isUnknown(c, [attr])) {
      const ref = this.plan.referencedChange(c, [attr]);
      if (ref?.change.type === 'aws_iam_policy') return this.policyOfChange(ref.change);
      this.unknown(c.address, attr, 'the policy is known only after apply: this attachment is left out');
      return undefined;
    }
    const arn = str(this.value(c, side, attr));
    return arn ? this.policyByArn(arn, c.address) : undefined;
  }

  // ---- names to ids ----------------------------------------------------------------------------------

  /**
   * A role, user or group of the snapshot by name: the ARN a resource of the plan carries for it, else the
   * one principal of that name in the snapshot (in `account` when known). Warns and gives undefined otherwise.
   */
  holderArn(kind: Holder, name: string, account: string | undefined, address: string): string | undefined {
    const { arns, nodes } = this.holders().get(`${kind}/${name}`) ?? { arns: [], nodes: [] };
    const fromPlan = new Set(arns.filter((arn) => !account || accountOf(arn) === account));
    const found = fromPlan.size ? nodes.filter((p) => fromPlan.has(p.id)) : nodes.filter((p) => !account || p.scope === account);
    if (found.length === 1) return found[0]!.id;
    if (found.length > 1) {
      this.warn(address, `${kind} ${name} exists in accounts ${found.map((p) => p.scope).join(', ')} of the snapshot and the plan does not say which: this change is left out`);
    } else {
      const what = fromPlan.size ? [...fromPlan].join(', ') : `${kind} ${name}${account ? ` in account ${account}` : ''}`;
      this.warn(address, `${what} is not in the snapshot (the plan may create it, and the snapshot cannot hold new principals): this change is left out`);
    }
    return undefined;
  }

  /** Users, roles and groups by `<kind>/<name>`: the ARNs resources of the plan carry, and the snapshot's nodes. */
  private holders(): Map<string, { arns: string[]; nodes: PrincipalNode[] }> {
    if (this.byName) return this.byName;
    const m = new Map<string, { arns: string[]; nodes: PrincipalNode[] }>();
    const entry = (k: string) => m.get(k) ?? m.set(k, { arns: [], nodes: [] }).get(k)!;
    for (const x of this.plan.changes) {
      const kind = x.type.replace(/^aws_iam_/, '');
      if (kind !== 'role' && kind !== 'user' && kind !== 'group') continue;
      for (const side of ['before', 'after'] as const) {
        const arn = str(this.value(x, side, 'arn'));
        const name = str(this.value(x, side, 'name'));
        if (arn && name) entry(`${kind}/${name}`).arns.push(arn);
      }
    }
    for (const p of this.estate.principals.values()) entry(`${p.kind}/${p.name}`).nodes.push(p);
    return (this.byName = m);
  }

  /** A bucket of the snapshot by name. */
  bucketArn(name: string, address: string): string | undefined {
    const found = ['aws', 'aws-cn', 'aws-us-gov'].map((p) => `arn:${p}:s3:::${name}`).find((arn) => this.graph.scope(arn)?.kind === 'aws:s3:bucket');
    if (!found) this.warn(address, `bucket ${name} is not in the snapshot: its policy is left out`);
    return found;
  }

  /** A root, OU or account of the snapshot's organization. */
  orgTarget(id: string, address: string): string | undefined {
    const s = this.graph.scope(id);
    if (s && ['aws:root', 'aws:ou', 'aws:account'].includes(s.kind)) return id;
    this.warn(address, `${id} is not a root, OU or account of the snapshot's organization: this attachment is left out`);
    return undefined;
  }

  // ---- the overlay -----------------------------------------------------------------------------------

  /**
   * The candidate against the snapshot: a policy detached from everything is removed; detached from some
   * targets, it is removed and added back to the others (`remove` is per policy); a new document of a
   * policy the snapshot holds is a replace; a new attachment is an add with the policy's candidate document.
   */
  overlay(): { overlay?: Record<string, unknown>; sources: Record<string, string[]> } {
    const add: Record<string, unknown>[] = [];
    const replace: Record<string, unknown>[] = [];
    const remove: string[] = [];
    const sources: Record<string, string[]> = {};
    const cite = (pointer: string, addresses: string[]) => {
      if (addresses.length) sources[pointer] = [...new Set(addresses)];
    };
    const addItem = (p: PolicyPlan, kind: string, target: string, document: unknown, addresses: string[]) => {
      cite(`/add/${add.length}`, addresses);
      add.push({ name: p.name, attachment: kind, target, document });
    };
    for (const p of this.policies.values()) {
      const docAddresses = p.doc?.addresses ?? [];
      const document = p.doc?.document ?? p.base;
      const stored = this.graph.attachmentsOf(p.key).filter((a) => a.kind in POLICY_KIND);
      const storedKeys = new Set(stored.map((a) => edgeKey(a.kind, a.target)));
      const fresh = [...p.attach.entries()].filter(([k]) => !storedKeys.has(k) && !p.detach.has(k)).map(([, e]) => e);
      if (document === undefined) {
        for (const e of fresh) this.warn(e.addresses[0]!, `the document of ${p.name} is known only after apply: attaching it to ${e.target} is left out`);
        continue;
      }
      const detached = stored.filter((a) => p.detach.has(edgeKey(a.kind, a.target)) && !p.attach.has(edgeKey(a.kind, a.target)));
      const changed = p.doc !== undefined && stored.length > 0 && canonical(p.doc.document) !== canonical(p.base);
      if (detached.length) {
        cite(`/remove/${remove.length}`, detached.flatMap((a) => p.detach.get(edgeKey(a.kind, a.target))!.addresses));
        remove.push(p.key);
        // What stays attached is added back; it is no change of its own, so it cites only a new document.
        for (const a of stored) if (!detached.includes(a)) addItem(p, a.kind, a.target, document, changed ? docAddresses : []);
      } else if (changed) {
        cite(`/replace/${replace.length}`, docAddresses);
        replace.push({ id: p.key, document });
      }
      for (const e of fresh) addItem(p, e.kind, e.target, document, [...e.addresses, ...docAddresses]);
    }
    const lists: [string, unknown[]][] = [['add', add], ['replace', replace], ['remove', remove]];
    const overlay: Record<string, unknown> = {};
    for (const [list, items] of lists) {
      if (items.length > MAX_ITEMS) {
        this.warn('', `the plan makes ${items.length} overlay ${list} items: only the first ${MAX_ITEMS} are evaluated`);
        for (let i = MAX_ITEMS; i < items.length; i++) delete sources[`/${list}/${i}`];
        items.length = MAX_ITEMS;
      }
      if (items.length) overlay[list] = items;
    }
    return Object.keys(overlay).length ? { overlay, sources } : { sources };
  }

  read(c: TerraformChange): void {
    const a = c.change.actions;
    const op: Op = a.includes('delete') && !a.includes('create') ? 'delete' : a.includes('create') && !a.includes('delete') ? 'create' : 'update';
    const summary = HANDLERS[c.type as TerraformType]?.(this, c, op);
    if (summary) this.changes.push({ address: c.address, type: c.type, actions: a, summary });
  }
}

function edge(map: Map<string, Edge>, kind: Attachment, target: string, address: string): void {
  const k = edgeKey(kind, target);
  const e = map.get(k);
  if (e) e.addresses.push(address);
  else map.set(k, { kind, target, addresses: [address] });
}

type Handler = (r: PlanReader, c: TerraformChange, op: Op) => string | undefined;

/** The sides of a change that hold values: before for updates and deletes, after for creates and updates. */
function sidesOf(op: Op): Side[] {
  return op === 'create' ? ['after'] : op === 'delete' ? ['before'] : ['before', 'after'];
}

/**
 * aws_iam_policy: a managed policy (`policy`). An update rewrites it wherever the snapshot attaches it; a
 * new one counts only where the plan attaches it.
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_policy
 */
const managedPolicy: Handler = (r, c, op) => {
  if (op === 'delete') {
    const p = r.policyOfChange(c, 'before');
    const n = r.detachAll(p, c.address);
    return `deletes managed policy ${p.name}${n ? `, detaching it from ${count(n, 'principal', 'principals')}` : ''}`;
  }
  const p = r.policyOfChange(c);
  if (op === 'create') return `creates managed policy ${p.name}`;
  if (!r.changed(c, 'policy')) return undefined;
  if (p.key.startsWith('tf:')) return `changes the document of managed policy ${p.name}, which the snapshot does not hold`;
  r.setDoc(p, c, ['policy'], 'identity', `the new document of ${p.name} is known only after apply: its attachments keep the snapshot's document`);
  return `changes the document of managed policy ${p.name}, attached to ${count(r.graph.attachmentsOf(p.key).length, 'principal', 'principals')}`;
};

/**
 * aws_iam_<role|user|group>_policy: an inline policy, `<owner ARN>#<name>`.
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_role_policy
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_user_policy
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_group_policy
 */
function inlinePolicy(kind: Holder): Handler {
  return (r, c, op) => {
    const at = (side: Side) => (sidesOf(op).includes(side) ? { owner: str(r.value(c, side, kind)), name: str(r.value(c, side, 'name')) } : { owner: undefined, name: undefined });
    const before = at('before');
    const after = at('after');
    const moved = before.owner !== undefined && (before.owner !== after.owner || before.name !== after.name);
    const parts: string[] = [];
    if (moved && before.owner && before.name) {
      const arn = r.holderArn(kind, before.owner, undefined, c.address);
      if (arn) r.detach(r.policy(`${arn}#${before.name}`, before.name), 'identity', arn, c.address);
      parts.push(`removes inline policy ${before.name} from ${kind} ${before.owner}`);
    }
    if (op !== 'delete') {
      if (!after.owner || !after.name) {
        const attr = !after.owner ? kind : 'name';
        r.unknown(c.address, attr, `the ${attr} is known only after apply: the inline policy is left out`);
        parts.push(`adds an inline policy to a ${kind} known only after apply`);
      } else if (moved || op === 'create' || r.changed(c, 'policy')) {
        const arn = r.holderArn(kind, after.owner, undefined, c.address);
        if (arn) r.setAttached(c, `${arn}#${after.name}`, after.name, 'identity', arn, ['policy'], `the document is known only after apply: inline policy ${after.name} is left out`);
        parts.push(`${moved || op === 'create' ? 'adds' : 'changes'} inline policy ${after.name} ${moved || op === 'create' ? 'to' : 'of'} ${kind} ${after.owner}`);
      }
    }
    return parts.join(' and ') || undefined;
  };
}

/**
 * aws_iam_<role|user|group>_policy_attachment: `policy_arn` on one principal, named by its name.
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_role_policy_attachment
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_user_policy_attachment
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_group_policy_attachment
 */
function holderAttachment(kind: Holder): Handler {
  return (r, c, op) => {
    const parts: string[] = [];
    const same = op === 'update' && !r.isUnknown(c, ['policy_arn']) && r.value(c, 'before', kind) === r.value(c, 'after', kind) && r.value(c, 'before', 'policy_arn') === r.value(c, 'after', 'policy_arn');
    if (same) return undefined;
    for (const side of sidesOf(op)) {
      const owner = str(r.value(c, side, kind));
      if (!owner) {
        if (side === 'after') {
          r.unknown(c.address, kind, `the ${kind} is known only after apply: this attachment is left out`);
          parts.push(`attaches a policy to a ${kind} known only after apply`);
        }
        continue;
      }
      const p = r.managedPolicy(c, 'policy_arn', side);
      const arn = r.holderArn(kind, owner, accountOf(r.value(c, side, 'policy_arn')), c.address);
      const what = p?.name ?? str(r.value(c, side, 'policy_arn')) ?? 'a policy known only after apply';
      if (side === 'before') {
        if (p && arn) r.detach(p, 'identity', arn, c.address);
        parts.push(`detaches policy ${what} from ${kind} ${owner}`);
      } else {
        if (p && arn) r.attach(p, 'identity', arn, c.address);
        parts.push(`attaches policy ${what} to ${kind} ${owner}`);
      }
    }
    return parts.join(' and ');
  };
}

const HOLDER_LISTS: [Holder, string][] = [['user', 'users'], ['role', 'roles'], ['group', 'groups']];

/**
 * aws_iam_policy_attachment: the exclusive list of users, roles and groups a managed policy is attached to.
 * Before is what AWS holds (refreshed), after the configured lists: the difference is what apply changes.
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_policy_attachment
 */
const exclusiveAttachment: Handler = (r, c, op) => {
  const sides = sidesOf(op);
  const policy = (s: Side) => (sides.includes(s) ? r.managedPolicy(c, 'policy_arn', s) : undefined);
  const named = (s: Side) => (sides.includes(s) ? HOLDER_LISTS.flatMap(([kind, attr]) => strings(r.value(c, s, attr)).map((n) => `${kind} ${n}`)) : []);
  const [p0, p1] = [policy('before'), policy('after')];
  const [before, after] = [named('before'), named('after')];
  if (op !== 'delete') for (const [, attr] of HOLDER_LISTS) if (r.isUnknown(c, [attr])) r.unknown(c.address, attr, `the ${attr} are known only after apply: their attachments are left out`);
  // The same policy on both sides: only the difference moves. A replaced policy_arn moves every attachment.
  const gone = p0 === p1 ? before.filter((x) => !after.includes(x)) : before;
  const fresh = p0 === p1 ? after.filter((x) => !before.includes(x)) : after;
  const link = (list: string[], p: PolicyPlan | undefined, side: Side, how: 'attach' | 'detach') => {
    for (const who of list) {
      const [kind, name] = who.split(' ') as [Holder, string];
      const arn = p && r.holderArn(kind, name, accountOf(r.value(c, side, 'policy_arn')), c.address);
      if (p && arn) r[how](p, 'identity', arn, c.address);
    }
  };
  link(gone, p0, 'before', 'detach');
  link(fresh, p1, 'after', 'attach');
  const parts = [];
  if (fresh.length) parts.push(`attaches policy ${p1?.name ?? 'known only after apply'} to ${fresh.join(', ')}`);
  if (gone.length) parts.push(`detaches policy ${p0?.name ?? str(r.value(c, 'before', 'policy_arn'))} from ${gone.join(', ')}`);
  return parts.join(' and ') || undefined;
};

/** The managed policy ARNs of a role before and after; ARNs known only after apply are traced to policies of the plan. */
function managedArns(r: PlanReader, c: TerraformChange, role: string): void {
  const before = strings(r.value(c, 'before', 'managed_policy_arns'));
  const after = strings(r.value(c, 'after', 'managed_policy_arns'));
  const policies = new Set<PolicyPlan>();
  for (const a of after.filter((x) => !before.includes(x))) {
    const p = r.policyByArn(a, c.address);
    if (p) policies.add(p);
  }
  let whole = false;
  if (r.isUnknown(c, ['managed_policy_arns'])) {
    // Unknown elements are policies of this plan that do not exist yet: the configuration names them.
    const refs = r.plan.referencedChanges(c, ['managed_policy_arns']).filter((x) => x.change.type === 'aws_iam_policy' && r.isUnknown(x.change, ['arn']));
    for (const x of refs) policies.add(r.policyOfChange(x.change));
    whole = !Array.isArray(r.value(c, 'after', 'managed_policy_arns'));
    const open = whole ? 1 : (r.value(c, 'after', 'managed_policy_arns') as unknown[]).length - after.length;
    if (whole || refs.length < open) {
      r.unknown(c.address, 'managed_policy_arns', whole
        ? 'the managed policy ARNs are known only after apply: the policies this plan creates are attached, and none is detached'
        : 'some managed policy ARNs are known only after apply and are not policies of this plan: they are left out');
    }
  }
  for (const p of policies) r.attach(p, 'identity', role, c.address);
  if (whole) return;
  for (const a of before.filter((x) => !after.includes(x))) {
    const p = r.policyByArn(a, c.address);
    if (p) r.detach(p, 'identity', role, c.address);
  }
}

/** The inline_policy blocks of a role before and after. */
function inlineBlocks(r: PlanReader, c: TerraformChange, role: string): number {
  if (r.isUnknown(c, ['inline_policy']) && !Array.isArray(r.value(c, 'after', 'inline_policy'))) {
    r.unknown(c.address, 'inline_policy', 'the inline policies are known only after apply: the snapshot\'s are kept');
    return 0;
  }
  const blocks = (s: Side) => namedBlocks(r.value(c, s, 'inline_policy'));
  const after = blocks('after');
  const keep = new Set(after.map((b) => b.name));
  for (const b of blocks('before')) if (!keep.has(b.name)) r.detach(r.policy(`${role}#${b.name}`, b.name), 'identity', role, c.address);
  for (const b of after) {
    r.setAttached(c, `${role}#${b.name}`, b.name, 'identity', role, ['inline_policy', b.index, 'policy'], `the document is known only after apply: inline policy ${b.name} keeps the snapshot's document`);
  }
  return after.length;
}

function namedBlocks(v: unknown): { name: string; index: number }[] {
  return (Array.isArray(v) ? v : []).flatMap((b, index) => (isObj(b) && str(b.name) ? [{ name: b.name as string, index }] : []));
}

/**
 * aws_iam_role: the trust policy (`assume_role_policy`); the exclusive `inline_policy` blocks and
 * `managed_policy_arns` when configured; the `permissions_boundary`. Before is what AWS holds (refreshed),
 * so an attribute the configuration leaves out is the same on both sides and changes nothing.
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/iam_role
 */
const role: Handler = (r, c, op) => {
  const side = op === 'delete' ? 'before' : 'after';
  const name = str(r.value(c, side, 'name')) ?? c.address;
  const arn = str(r.value(c, 'before', 'arn')) ?? str(r.value(c, 'after', 'arn'));
  if (op === 'create' || !arn || !r.estate.principals.has(arn)) {
    r.warn(c.address, `role ${name} is not in the snapshot (the snapshot cannot hold new principals): its trust and permission policies are left out`);
    return op === 'delete' ? `deletes role ${name}` : `creates role ${name}`;
  }
  // A new name replaces the role: the old one goes, and the new one is not in the snapshot.
  const renamed = op === 'update' && r.value(c, 'before', 'name') !== r.value(c, 'after', 'name');
  if (op === 'delete' || renamed) {
    // No one can assume a deleted role, and nothing it held grants anything any more.
    for (const a of r.graph.attachedTo(arn)) if (a.kind === 'trust' || a.kind === 'identity') r.detach(r.policy(a.policy, a.policy), a.kind as Attachment, arn, c.address);
    if (!renamed) return `deletes role ${name}`;
    r.warn(c.address, `the role that replaces ${arn} is not in the snapshot (the snapshot cannot hold new principals): its trust and permission policies are left out`);
    return `replaces role ${str(r.value(c, 'before', 'name'))} with a new role ${name}`;
  }
  const parts: string[] = [];
  if (r.changed(c, 'assume_role_policy')) {
    r.setAttached(c, `${arn}#trust`, `${arn} trust policy`, 'trust', arn, ['assume_role_policy'], 'the new trust policy is known only after apply: the snapshot\'s is kept');
    parts.push(`changes the trust policy of role ${name}`);
  }
  if (r.changed(c, 'inline_policy')) parts.push(`sets the inline policies of role ${name} to ${count(inlineBlocks(r, c, arn), 'policy', 'policies')}`);
  if (r.changed(c, 'managed_policy_arns')) {
    managedArns(r, c, arn);
    parts.push(`changes the managed policies attached to role ${name}`);
  }
  if (r.changed(c, 'permissions_boundary')) {
    const old = r.managedPolicy(c, 'permissions_boundary', 'before');
    if (old) r.detach(old, 'boundary', arn, c.address);
    const now = r.managedPolicy(c, 'permissions_boundary', 'after');
    if (now) r.attach(now, 'boundary', arn, c.address);
    parts.push(`${now || r.isUnknown(c, ['permissions_boundary']) ? 'sets' : 'removes'} the permissions boundary of role ${name}`);
  }
  return parts.join(' and ') || undefined;
};

/**
 * aws_s3_bucket_policy: the policy of a bucket, named by its name (`bucket`).
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/s3_bucket_policy
 */
const bucketPolicy: Handler = (r, c, op) => {
  const bucket = str(r.value(c, op === 'delete' ? 'before' : 'after', 'bucket'));
  if (!bucket) {
    r.unknown(c.address, 'bucket', 'the bucket is known only after apply: its policy is left out');
    return 'sets the policy of a bucket known only after apply';
  }
  if (op === 'update' && !r.changed(c, 'policy')) return undefined;
  const arn = r.bucketArn(bucket, c.address);
  if (op === 'delete') {
    if (arn) r.detach(r.policy(`${arn}#policy`, `${arn} policy`), 'resource', arn, c.address);
    return `removes the bucket policy of ${bucket}`;
  }
  if (arn) r.setAttached(c, `${arn}#policy`, `${arn} policy`, 'resource', arn, ['policy'], 'the policy is known only after apply: the snapshot\'s is kept');
  return `${op === 'create' ? 'sets' : 'changes'} the bucket policy of ${bucket}`;
};

/**
 * aws_kms_key: the key policy (`policy`) of a key the snapshot holds; a new key is not in the snapshot.
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kms_key
 */
const kmsKey: Handler = (r, c, op) => {
  const arn = str(r.value(c, 'before', 'arn')) ?? str(r.value(c, 'after', 'arn'));
  if (!arn || r.graph.scope(arn)?.resource !== true) {
    r.warn(c.address, `key ${arn ?? c.address} is not in the snapshot: its key policy is left out`);
    return `${op === 'delete' ? 'deletes' : 'creates'} KMS key ${arn ?? c.address}`;
  }
  if (op === 'delete') {
    r.detach(r.policy(`${arn}#policy`, `${arn} policy`), 'resource', arn, c.address);
    return `schedules KMS key ${arn} for deletion`;
  }
  if (!r.changed(c, 'policy')) return undefined;
  r.setAttached(c, `${arn}#policy`, `${arn} policy`, 'resource', arn, ['policy'], 'the key policy is known only after apply: the snapshot\'s is kept');
  return `changes the key policy of ${arn}`;
};

const ORG_KIND: Record<string, 'scp' | 'rcp'> = lookupTable({ SERVICE_CONTROL_POLICY: 'scp', RESOURCE_CONTROL_POLICY: 'rcp' });
const ORG_LABEL = { scp: 'SCP', rcp: 'RCP' };

interface OrgPolicy {
  kind: 'scp' | 'rcp';
  p: PolicyPlan;
}

/** The SCP or RCP an aws_organizations_policy change stands for, with its planned content; undefined for other types. */
function orgPolicy(r: PlanReader, c: TerraformChange, side: Side): OrgPolicy | undefined {
  // `type` defaults to SERVICE_CONTROL_POLICY.
  const kind = ORG_KIND[str(r.value(c, side, 'type')) ?? 'SERVICE_CONTROL_POLICY'];
  if (!kind) return undefined;
  const id = str(r.value(c, side, 'id')) ?? str(r.value(c, 'before', 'id'));
  const name = str(r.value(c, side, 'name')) ?? c.address;
  const p = r.policy(id && r.graph.policy(id) ? id : `tf:${c.address}`, name);
  // A policy the snapshot lacks needs its content for its attachments; one it holds only when the plan changes it.
  if (side === 'after' && !p.doc && (p.key.startsWith('tf:') || r.changed(c, 'content'))) {
    const effect = p.key.startsWith('tf:') ? 'its attachments are left out' : 'the snapshot\'s is kept';
    r.setDoc(p, c, ['content'], kind, `the content of ${ORG_LABEL[kind]} ${name} is known only after apply: ${effect}`);
  }
  return { kind, p };
}

/**
 * aws_organizations_policy: SCPs and RCPs (`content`); other policy types do not decide access.
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/organizations_policy
 */
const organizationsPolicy: Handler = (r, c, op) => {
  const o = orgPolicy(r, c, op === 'delete' ? 'before' : 'after');
  if (!o) return undefined;
  const what = `${ORG_LABEL[o.kind]} ${o.p.name}`;
  if (op === 'delete') {
    const n = r.detachAll(o.p, c.address);
    return `deletes ${what}${n ? `, detaching it from ${count(n, 'target', 'targets')}` : ''}`;
  }
  if (op === 'create') return `creates ${what}`;
  if (!r.changed(c, 'content')) return undefined;
  if (o.p.key.startsWith('tf:')) return `changes the content of ${what}, which the snapshot does not hold`;
  return `changes the content of ${what}, attached to ${count(r.graph.attachmentsOf(o.p.key).length, 'target', 'targets')}`;
};

/** The SCP or RCP a `policy_id` names: the snapshot's, or an aws_organizations_policy of the plan. */
function orgPolicyById(r: PlanReader, c: TerraformChange, side: Side): OrgPolicy | undefined {
  if (side === 'after' && r.isUnknown(c, ['policy_id'])) {
    const ref = r.plan.referencedChange(c, ['policy_id']);
    if (ref?.change.type === 'aws_organizations_policy') return orgPolicy(r, ref.change, 'after');
    r.unknown(c.address, 'policy_id', 'the policy is known only after apply: this attachment is left out');
    return undefined;
  }
  const id = str(r.value(c, side, 'policy_id'));
  if (!id) return undefined;
  const type = r.graph.policy(id)?.type;
  if (type === 'aws:scp' || type === 'aws:rcp') return { kind: type === 'aws:scp' ? 'scp' : 'rcp', p: r.policy(id, id) };
  const created = r.plan.withValue('aws_organizations_policy', 'id', id);
  if (created) return orgPolicy(r, created, 'after');
  r.warn(c.address, `policy ${id} is not an SCP or RCP of the snapshot or of this plan: this attachment is left out`);
  return undefined;
}

/**
 * aws_organizations_policy_attachment: `policy_id` on `target_id` (a root, OU or account). With
 * `skip_destroy` a destroy leaves the attachment in place.
 * https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/organizations_policy_attachment
 */
const organizationsAttachment: Handler = (r, c, op) => {
  if (op === 'delete' && r.value(c, 'before', 'skip_destroy') === true) return undefined;
  const same = op === 'update' && !r.isUnknown(c, ['policy_id']) && !r.isUnknown(c, ['target_id']) &&
    r.value(c, 'before', 'policy_id') === r.value(c, 'after', 'policy_id') && r.value(c, 'before', 'target_id') === r.value(c, 'after', 'target_id');
  if (same) return undefined;
  const parts: string[] = [];
  for (const side of sidesOf(op)) {
    const o = orgPolicyById(r, c, side);
    if (!o) continue;
    const what = `${ORG_LABEL[o.kind]} ${o.p.name}`;
    if (side === 'after' && r.isUnknown(c, ['target_id'])) {
      r.unknown(c.address, 'target_id', 'the target is known only after apply: this attachment is left out');
      parts.push(`attaches ${what} to a target known only after apply`);
      continue;
    }
    const id = str(r.value(c, side, 'target_id'));
    const target = id && r.orgTarget(id, c.address);
    if (!target) continue;
    if (side === 'before') r.detach(o.p, o.kind, target, c.address);
    else r.attach(o.p, o.kind, target, c.address);
    parts.push(`${side === 'before' ? 'detaches' : 'attaches'} ${what} ${side === 'before' ? 'from' : 'to'} ${r.estate.label(target)}`);
  }
  return parts.join(' and ') || undefined;
};

const HANDLERS: Record<TerraformType, Handler> = {
  aws_iam_policy: managedPolicy,
  aws_iam_role: role,
  aws_iam_role_policy: inlinePolicy('role'),
  aws_iam_role_policy_attachment: holderAttachment('role'),
  aws_iam_user_policy: inlinePolicy('user'),
  aws_iam_user_policy_attachment: holderAttachment('user'),
  aws_iam_group_policy: inlinePolicy('group'),
  aws_iam_group_policy_attachment: holderAttachment('group'),
  aws_iam_policy_attachment: exclusiveAttachment,
  aws_s3_bucket_policy: bucketPolicy,
  aws_kms_key: kmsKey,
  aws_organizations_policy: organizationsPolicy,
  aws_organizations_policy_attachment: organizationsAttachment,
};

/** The plan's changes of TERRAFORM_TYPES as an AWS overlay on the snapshot (CiSupport.fromTerraform). */
export function fromTerraform(changes: readonly TerraformChange[], plan: TerraformPlan, snapshot: Snapshot): PlanOverlay {
  const reader = new PlanReader(new TerraformPlanReader(plan), snapshot.compiledFor<AwsEstate>('aws'));
  for (const c of changes) {
    if (c.change.actions.includes('no-op') || c.change.actions.includes('read')) continue;
    reader.read(c);
  }
  const { overlay, sources } = reader.overlay();
  const out: PlanOverlay = { sources, changes: reader.changes, unknowns: reader.unknowns, warnings: reader.warnings };
  if (overlay) out.overlay = overlay;
  return out;
}
