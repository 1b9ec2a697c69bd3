/**
 * The soak's corpus: a copy of a real package made a git repository with two branches, the pool of symbols
 * the sessions ask about, and the file mutations agents make (edits, additions, deletions, renames).
 */
import { readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { git } from './processes.js';
import { pick, rng, type ChaosEvent } from './schedule.js';

const SOURCE_EXT = new Set(['.ts', '.tsx', '.js', '.mjs', '.cjs', '.jsx', '.mts', '.cts']);

/** Source files of the tree (what the indexer would index, minus declarations), sorted. */
export function listSources(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      if (e.name === '.git' || e.name === 'node_modules') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && SOURCE_EXT.has(extname(e.name)) && !e.name.endsWith('.d.ts')) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** Top-level exported names (and their qualified names) found by a regex: the query pool. */
export function symbolPool(root: string, seed: number, max = 400): Array<{ name: string; qname: string }> {
  const all: Array<{ name: string; qname: string }> = [];
  const re = /^export\s+(?:declare\s+)?(?:default\s+)?(?:async\s+)?(?:function\*?|const|let|class|interface|type|abstract\s+class)\s+([A-Za-z_$][\w$]*)/gm;
  for (const rel of listSources(root)) {
    const text = readFileSync(join(root, rel), 'utf8');
    for (const m of text.matchAll(re)) all.push({ name: m[1]!, qname: `${rel}#${m[1]}` });
  }
  const r = rng(seed, 'pool');
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, max);
}

/** Applies one file mutation to the tree (deterministic given the tree and the event). */
export function mutate(root: string, ev: Extract<ChaosEvent, { kind: 'mutate' }>): string {
  const files = listSources(root);
  if (files.length < 5) return `${ev.op}: too few files left`;
  const rel = pick(ev.r, files);
  const abs = join(root, rel);
  const ext = extname(rel);
  const typed = ext === '.ts' || ext === '.tsx' || ext === '.mts' || ext === '.cts';
  const num = typed ? 'n: number' : 'n';
  switch (ev.op) {
    case 'edit': {
      // Insert a function before a top-level export (shifting every line below), as an agent's edit does.
      const lines = readFileSync(abs, 'utf8').split('\n');
      const anchors = lines.map((l, i) => (l.startsWith('export ') ? i : -1)).filter((i) => i >= 0);
      const at = anchors.length ? pick((ev.r * 7919) % 1, anchors) : lines.length;
      const fn = [`/** soak edit ${ev.n} */`, `export function soakEdit${ev.n}(${num}) {`, `  return soakHelper${ev.n}(n) + ${ev.n}`, `}`, `function soakHelper${ev.n}(${num}) {`, `  return n * 2`, `}`];
      lines.splice(at, 0, ...fn);
      writeFileSync(abs, lines.join('\n'));
      return `edit ${rel}:${at + 1}`;
    }
    case 'add': {
      // A new file next to `rel` that imports and calls a function `rel` exports (a cross-file edge).
      const text = readFileSync(abs, 'utf8');
      const fnName = /^export\s+(?:async\s+)?function\s+([A-Za-z_$][\w$]*)/m.exec(text)?.[1];
      const spec = './' + basename(rel).replace(/\.(m|c)?tsx?$/, '.js');
      const name = `soakAdded${ev.n}${ext}`;
      const body = [
        fnName ? `import { ${fnName} } from ${JSON.stringify(spec)}` : `// nothing to import from ${spec}`,
        `export function soakAddedA${ev.n}(${num}) {`,
        `  return soakAddedB${ev.n}(n) + 1`,
        `}`,
        `export function soakAddedB${ev.n}(${num}) {`,
        fnName ? `  ${fnName}()` : `  n++`,
        `  return n`,
        `}`,
        ``,
      ];
      writeFileSync(join(dirname(abs), name), body.join('\n'));
      return `add ${join(dirname(rel), name)}`;
    }
    case 'delete':
      unlinkSync(abs);
      return `delete ${rel}`;
    case 'rename': {
      const to = join(dirname(rel), `${basename(rel, ext)}_r${ev.n}${ext}`);
      renameSync(abs, join(root, to));
      return `rename ${rel} -> ${to}`;
    }
  }
}

/** Makes the corpus copy a git repo with two branches that differ in some files. */
export async function initGit(root: string, seed: number): Promise<void> {
  await git(root, ['init', '-q', '-b', 'main']);
  await git(root, ['add', '-A']);
  await git(root, ['commit', '-q', '-m', 'corpus']);
  await git(root, ['checkout', '-q', '-b', 'other']);
  const files = listSources(root);
  const r = rng(seed, 'branch');
  const changes = Math.max(3, Math.round(files.length * 0.05));
  for (let i = 0; i < changes; i++) {
    const op = i % 4 === 0 ? 'delete' : i % 4 === 1 ? 'add' : 'edit';
    try {
      mutate(root, { at: 0, kind: 'mutate', op, r: r(), n: 100000 + i });
    } catch {
      /* a file picked twice was already deleted */
    }
  }
  await git(root, ['add', '-A']);
  await git(root, ['commit', '-q', '-m', 'other branch']);
  await git(root, ['checkout', '-q', 'main']);
}
