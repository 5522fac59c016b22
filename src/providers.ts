/**
 * The providers this build serves: the one place that wires provider packages to the core. A provider's
 * module (engine, catalogues, CEL) loads on first need, so a command line run on an AWS estate never
 * loads the Google Cloud and Azure engines.
 */
import { awsEntry } from '../providers/aws/entry.js';
import { azureEntry } from '../providers/azure/entry.js';
import { gcpEntry } from '../providers/gcp/entry.js';
import type { Provider } from './core/decision.js';
import type { ParsedFile, ProviderEntry, ProviderModule } from './core/provider.js';

const entries: readonly ProviderEntry[] = [awsEntry, gcpEntry, azureEntry];
const loaded = new Map<Provider, ProviderModule>();

/** Loads the named providers (default: all) in registry order; unknown names are skipped. */
export async function loadProviders(names: readonly string[] = entries.map((e) => e.name)): Promise<ProviderModule[]> {
  const wanted = entries.filter((e) => names.includes(e.name));
  for (const e of wanted) if (!loaded.has(e.name)) loaded.set(e.name, await e.load());
  return wanted.map((e) => loaded.get(e.name)!);
}

/** A provider already loaded, if it is. */
export function loadedProvider(name: string): ProviderModule | undefined {
  return loaded.get(name as Provider);
}

/** The providers whose native inputs are among these files. */
export function providersFor(files: readonly ParsedFile[]): Provider[] {
  return entries.filter((e) => files.some((f) => e.recognizes(f))).map((e) => e.name);
}

/** The provider whose Terraform resource types this type looks like, loaded (undefined for another cloud). */
export async function terraformOwner(type: string): Promise<ProviderModule | undefined> {
  const entry = entries.find((e) => type.startsWith(e.terraformPrefix));
  return entry && (await loadProviders([entry.name]))[0];
}
