/**
 * Management locks: they apply to every caller whatever its roles, at the locked scope and below, on the
 * control plane only (blob, queue and table data can still change). ReadOnly blocks writes, deletes and
 * POST operations (listKeys, restart ...); CanNotDelete blocks deletes. A lock on a resource also blocks
 * deleting its resource group: "You never have a partial deletion".
 * https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources
 */
import type { Lock } from './policy-model.js';
import type { AzureRequest } from './request.js';

export interface LockHit {
  lock: Lock;
  blocks: boolean;
  why: string;
}

export function evaluateLocks(req: AzureRequest): LockHit[] {
  const out: LockHit[] = [];
  for (const at of req.links) {
    for (const lock of req.view.locksAt(at)) {
      const blocks = lock.level === 'ReadOnly' ? req.verb !== 'read' : req.verb === 'delete';
      const what = req.verb === 'delete' ? 'deletes' : req.verb === 'action' ? 'POST operations' : req.verb === 'write' ? 'writes' : 'reads';
      out.push({ lock, blocks, why: `${lock.level} lock ${lock.name} on ${lock.scopeAsGiven} ${blocks ? 'blocks' : 'allows'} ${what}` });
    }
  }
  if (req.verb === 'delete') {
    for (const lock of req.view.locksBelow(req.links[0]!)) {
      out.push({ lock, blocks: true, why: `${lock.level} lock ${lock.name} on ${lock.scopeAsGiven}, below ${req.scopeAsGiven}, blocks deleting it: no partial deletion` });
    }
  }
  return out;
}
