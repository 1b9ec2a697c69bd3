// Writes dist/build-info.json and dist/tool-schemas.json: the package version plus a build id that changes whenever any compiled
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

// The MCP tool list as plain JSON (JSON Schema from the shared zod definitions), so the shim answers
// `tools/list` without loading zod or the MCP SDK: it starts in a fraction of the time and memory.
const { z } = await import('zod');
const { zodToJsonSchema } = await import('zod-to-json-schema');
const defs = await import(new URL('../dist/packages/tools/definitions.js', import.meta.url).href);
const tools = defs.TOOLS.map((t) => {
  const inputSchema = zodToJsonSchema(z.object(defs.TOOL_INPUTS[t.name]).strict(), { target: 'jsonSchema7', $refStrategy: 'none' });
  delete inputSchema.$schema;
  const out = defs.TOOL_OUTPUTS?.[t.name];
  // passthrough: an older shim (older schema) may front a newer daemon that added a field.
  const outputSchema = out ? zodToJsonSchema(z.object(out).passthrough(), { target: 'jsonSchema7', $refStrategy: 'none' }) : undefined;
  if (outputSchema) delete outputSchema.$schema;
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema,
    ...(outputSchema ? { outputSchema } : {}),
    annotations: {
      title: t.title,
      readOnlyHint: t.readOnly,
      destructiveHint: Boolean(t.destructive),
      idempotentHint: t.readOnly,
      openWorldHint: false,
    },
  };
});
writeFileSync(join(dist, 'tool-schemas.json'), JSON.stringify({ instructions: defs.SERVER_INSTRUCTIONS, tools }) + '\n');

// `npx codehive …` inside a clone: npm links the bins of dependencies into node_modules/.bin, never the
// project's own, so link ours there too (global installs get it from package.json's "bin").
import { mkdirSync, symlinkSync, lstatSync, unlinkSync } from 'node:fs';
const binDir = join(root, 'node_modules', '.bin');
const link = join(binDir, 'codehive');
try {
  mkdirSync(binDir, { recursive: true });
  try {
    if (lstatSync(link).isSymbolicLink()) unlinkSync(link);
  } catch {}
  symlinkSync('../../bin/codehive.js', link);
} catch (err) {
  process.stderr.write(`postbuild: could not link node_modules/.bin/codehive (${err.message}); use node bin/codehive.js\n`);
}
