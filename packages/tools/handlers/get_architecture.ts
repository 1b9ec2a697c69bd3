/**
 * get_architecture: the shape of a codebase in one call — languages and line counts, units (workspace
 * packages, else folders) with sizes, entry points (package.json bin/main/module/exports, and files nothing
 * imports), the most-called symbols, import dependencies between units, and the cycles among them.
 * `path` limits everything to one folder. Every list is capped with an explicit "N more".
 */
import { isAbsolute, relative } from 'node:path';
import { answer, capped } from '../lib/answer.js';
import { isTestFile } from '../lib/graph.js';
import { packageEntryPoints, type EntryPoint } from '../lib/entrypoints.js';
import { chooseUnits, cycles, findPackages } from '../lib/units.js';
import { byName, formatCount as num } from '../lib/format.js';
import type { ToolHandler } from '../context.js';
import type { ProjectRow } from '../../store/projects.js';
import { CodehiveError } from '../../protocol/index.js';

const CAP = { units: 25, entries: 20, unimported: 15, called: 10, deps: 40, cycles: 10 };

export const getArchitectureHandler: ToolHandler<'get_architecture'> = async (ctx, args) => {
  const scopeIn = (p: ProjectRow) => normalizeScope(p.root, args.path);
  const { project: p, value: graph } = await ctx.reads.read(() => ctx.project(args.project), 'architecture', (p) => ({ scope: scopeIn(p), limit: CAP.called }));
  const scope = scopeIn(p);
  const inScope = (f: string | null) => f !== null && (scope === '' || f === scope || f.startsWith(scope + '/'));
  const files = graph.files.filter((f) => inScope(f.path));
  if (!files.length) {
    throw new CodehiveError('NOT_FOUND', `no indexed file under ${JSON.stringify(args.path)} in ${p.root}; pass a folder relative to the project root, e.g. "src"`);
  }
  const paths = files.map((f) => f.path);
  const indexed = new Set(graph.files.map((f) => f.path));

  // Languages.
  const langs = new Map<string, { files: number; lines: number }>();
  for (const f of files) {
    const l = langs.get(f.language) ?? { files: 0, lines: 0 };
    l.files++;
    l.lines += f.lines;
    langs.set(f.language, l);
  }
  const languages = [...langs.entries()].sort((a, b) => b[1].lines - a[1].lines).map(([language, v]) => ({ language, ...v }));

  // Units and their sizes.
  const packages = findPackages(p.root, scope, paths);
  const units = chooseUnits(paths, scope, packages);
  const unitOfPath = new Map(paths.map((x) => [x, units.unitOf(x)]));
  const sizes = new Map<string, { files: number; lines: number }>();
  for (const f of files) {
    const u = unitOfPath.get(f.path)!;
    const s = sizes.get(u) ?? { files: 0, lines: 0 };
    s.files++;
    s.lines += f.lines;
    sizes.set(u, s);
  }
  const unitList = [...sizes.entries()].sort((a, b) => b[1].lines - a[1].lines || byName(a[0], b[0])).map(([unit, v]) => ({ unit, ...v, package: packages.includes(unit) }));

  // Imports between files → between units; files nothing imports.
  const imported = new Set<string>();
  const deps = new Map<string, Map<string, number>>();
  for (const [from, to] of graph.imports) {
    imported.add(to);
    const a = unitOfPath.get(from);
    const b = unitOfPath.get(to);
    if (!a || !b || a === b) continue;
    let m = deps.get(a);
    if (!m) deps.set(a, (m = new Map()));
    m.set(b, (m.get(b) ?? 0) + 1);
  }
  const depList = [...deps.entries()]
    .flatMap(([from, m]) => [...m.entries()].map(([to, imports]) => ({ from, to, imports })))
    .sort((a, b) => b.imports - a.imports || byName(a.from, b.from) || byName(a.to, b.to));
  const cycleList = cycles(deps);

  // Entry points: declared ones, then files nothing imports (not tests, declarations or config files).
  const entries: EntryPoint[] = [];
  for (const dir of scope === '' ? ['', ...packages] : [scope, ...packages]) entries.push(...packageEntryPoints(p.root, dir, indexed));
  const declared = new Set(entries.map((e) => e.file).filter(Boolean));
  const unimported = files
    .filter((f) => !imported.has(f.path) && !declared.has(f.path) && !isTestFile(f.path) && !f.path.endsWith('.d.ts') && !/(^|\/)[^/]*\.config\.[cm]?[jt]s$/.test(f.path))
    .sort((a, b) => b.lines - a.lines || byName(a.path, b.path));

  const called = graph.called;

  const plural = (n: number, w: string) => `${num(n)} ${w}${n === 1 ? '' : 's'}`;
  const blocks = [
    `languages: ${languages.map((l) => `${l.language} ${num(l.files)} files ${num(l.lines)} lines`).join(' · ')}`,
    `${units.packages.length ? 'packages and folders' : 'folders'} by size:`,
    ...capped(unitList, CAP.units, (u) => `${u.unit}${u.package ? ' (package)' : ''}  ${plural(u.files, 'file')}  ${plural(u.lines, 'line')}`, 'units'),
    'entry points:',
    ...capped(entries, CAP.entries, (e) => `${e.package === '.' ? '' : e.package + '/'}package.json ${e.field}: ${e.target}${e.file ? (e.mapped ? ` → ${e.file} (source, mapped)` : '') : ' (not indexed)'}`, 'declared entry points'),
    ...(entries.length ? [] : ['  (no package.json bin/main/module/exports)']),
    `files nothing imports (${unimported.length}; tests, .d.ts and config files left out):`,
    ...capped(unimported, CAP.unimported, (f) => `${f.path}  ${plural(f.lines, 'line')}`, 'files'),
    'most-called symbols:',
    ...capped(called, CAP.called, (c) => `${c.kind} ${c.qname}  ${c.file}:${c.start_line}  ${plural(c.calls, 'call')} from ${plural(c.files, 'file')}`, 'symbols'),
    ...(called.length ? [] : ['  (no resolved calls)']),
    `imports between units (${plural(depList.length, 'pair')}):`,
    ...capped(depList, CAP.deps, (d) => `${d.from} → ${d.to}  ${d.imports}`, 'pairs'),
    `import cycles between units: ${cycleList.length || 'none'}`,
    ...capped(cycleList, CAP.cycles, (c) => c.join(' ↔ '), 'cycles'),
  ];
  const total = files.reduce((s, f) => s + f.lines, 0);
  return answer({
    head: [`architecture of ${p.name}${scope ? ` (under ${scope}/)` : ''}: ${plural(files.length, 'file')}, ${plural(total, 'line')}`],
    blocks,
    project: p,
    freshness: await ctx.freshness(p),
    data: {
      scope: scope || null,
      files: files.length,
      lines: total,
      languages,
      units: unitList.slice(0, CAP.units),
      units_total: unitList.length,
      entry_points: entries.slice(0, CAP.entries),
      entry_points_total: entries.length,
      unimported_files: unimported.slice(0, CAP.unimported).map((f) => ({ path: f.path, lines: f.lines })),
      unimported_total: unimported.length,
      most_called: called,
      dependencies: depList.slice(0, CAP.deps),
      dependencies_total: depList.length,
      cycles: cycleList.slice(0, CAP.cycles),
      cycles_total: cycleList.length,
    },
  });
};

/** `path` as a folder relative to the project root ('' for the root); refuses paths outside it. */
function normalizeScope(root: string, path: string | undefined): string {
  if (!path) return '';
  const rel = (isAbsolute(path) ? relative(root, path) : path).replace(/\\/g, '/').replace(/^\.(\/|$)/, '').replace(/\/+$/, '');
  if (rel.startsWith('..')) throw new CodehiveError('BAD_REQUEST', `path ${path} is outside the project root ${root}`);
  return rel;
}
