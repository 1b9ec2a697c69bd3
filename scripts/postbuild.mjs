// Writes dist/build-info.json: the package version plus a build id that changes whenever any compiled
// file changes. Shim and daemon compare build ids so an old daemon never silently serves a new shim.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dist = join(root, 'dist');
const hash = createHash('sha256');
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.js')) hash.update(relative(dist, p)).update(readFileSync(p));
  }
};
walk(dist);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const info = { version: pkg.version, buildId: hash.digest('hex').slice(0, 16), builtAt: Date.now() };
let previous;
try { previous = JSON.parse(readFileSync(join(dist, 'build-info.json'), 'utf8')); } catch {}
// Keep builtAt stable when nothing changed, so rebuilding an unchanged tree is not "newer".
if (previous && previous.buildId === info.buildId) info.builtAt = previous.builtAt;
writeFileSync(join(dist, 'build-info.json'), JSON.stringify(info) + '\n');
