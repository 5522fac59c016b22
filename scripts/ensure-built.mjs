// Builds dist/ when it is missing or older than the TypeScript sources (npm start runs this first).
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const newest = (dir) =>
  readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
    const p = join(dir, e.name);
    return Math.max(m, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }, 0);

const built = 'dist/src/server/main.js';
const stale = !existsSync(built) || statSync(built).mtimeMs < Math.max(newest('src'), newest('providers'));
if (stale) execSync('npm run build', { stdio: 'inherit' });
