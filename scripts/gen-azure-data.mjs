// Regenerates providers/azure/data/built-in-roles.json from the iam-dataset copy of
// `az role definition list` (iann0036/iam-dataset, MIT): one compact line per built-in role.
// Usage: node scripts/gen-azure-data.mjs [sourceDir] [outputDir]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const sourceDir = resolve(process.argv[2] ?? '../shared/data/iam-dataset');
const outputDir = resolve(process.argv[3] ?? 'providers/azure/data');

const raw = JSON.parse(readFileSync(join(sourceDir, 'azure-built-in-roles.json'), 'utf8'));
if (!Array.isArray(raw)) throw new Error('azure-built-in-roles.json: expected an array of role definitions');

const strings = (v, where) => {
  if (v == null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw new Error(`${where}: expected a string array`);
  return v;
};

const roles = raw.map((r, i) => {
  if (typeof r?.name !== 'string' || typeof r?.roleName !== 'string') throw new Error(`role ${i}: missing name/roleName`);
  return {
    id: r.name.toLowerCase(),
    roleName: r.roleName,
    permissions: (r.permissions ?? []).map((p, j) => {
      const where = `${r.roleName} permissions[${j}]`;
      const block = {
        actions: strings(p.actions, where),
        notActions: strings(p.notActions, where),
        dataActions: strings(p.dataActions, where),
        notDataActions: strings(p.notDataActions, where),
      };
      if (p.condition != null) block.condition = p.condition;
      if (p.conditionVersion != null) block.conditionVersion = p.conditionVersion;
      return block;
    }),
  };
});
roles.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

const text = `[\n${roles.map((r) => JSON.stringify(r)).join(',\n')}\n]\n`;
mkdirSync(outputDir, { recursive: true });
const out = join(outputDir, 'built-in-roles.json');
writeFileSync(out, text);
console.log(`${out}: ${roles.length} roles, ${Buffer.byteLength(text)} bytes`);
