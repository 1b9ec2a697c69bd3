/**
 * The tool surface: names, one-line descriptions, argument schemas and annotations. Shared by the shim
 * (which answers `tools/list` itself, without waiting for the daemon), the daemon (which validates every
 * call with the same schemas) and the CLI. Keep this module light: the shim loads it at start-up.
 */
import { z } from 'zod';

const project = z
  .string()
  .min(1)
  .optional()
  .describe('Project root path or name; defaults to the project containing the session\'s working directory');
const limit = (dflt: number, max: number) =>
  z.number().int().min(1).max(max).optional().describe(`Maximum results (default ${dflt}, max ${max})`);
const cursor = z.string().optional().describe('Cursor from a previous answer\'s `next_cursor`, to page on');

export const TOOL_INPUTS = {
  index_repository: {
    path: z.string().min(1).describe('Repository root to index (absolute, or relative to the working directory)'),
    mode: z.enum(['full', 'incremental']).optional().describe('incremental (default) re-parses only changed files'),
  },
  index_status: { project },
  list_projects: {},
  delete_project: { project: z.string().min(1).describe('Project root path or name to delete with all its data') },
  search_graph: {
    project,
    query: z.string().max(500).optional().describe('Ranked full-text query over symbol names (camelCase/snake_case split, prefix match), signatures and doc comments'),
    name_pattern: z.string().max(500).optional().describe('Exact name (a plain identifier) or a JavaScript regex the symbol name must match'),
    kind: z
      .enum(['Class', 'Interface', 'TypeAlias', 'Enum', 'Function', 'Method', 'Variable', 'File', 'Folder'])
      .optional(),
    file_pattern: z.string().max(500).optional().describe('Glob the file path must match, e.g. src/**/*.ts or *.test.ts; a plain path means that folder'),
    exported: z.boolean().optional(),
    limit: limit(20, 200),
    cursor,
  },
  search_code: {
    project,
    pattern: z.string().min(1).max(500).describe('Text to find (or a JavaScript regex when regex=true); case-insensitive unless it has an upper-case letter'),
    regex: z.boolean().optional(),
    file_pattern: z.string().max(500).optional().describe('Glob the file path must match, e.g. src/**/*.ts; a plain path means that folder'),
    context_lines: z.number().int().min(0).max(10).optional().describe('Lines of context around each hit (default 1)'),
    limit: limit(30, 200),
    cursor,
  },
  trace_path: {
    project,
    symbol: z.string().min(1).describe('Qualified name (path#Name.member) or a unique plain name'),
    direction: z.enum(['callers', 'callees', 'both']).optional().describe('Default callers'),
    depth: z.number().int().min(1).max(6).optional().describe('Hops to follow (default 2, max 6)'),
    limit: limit(50, 500),
  },
  get_code_snippet: {
    project,
    symbol: z.string().min(1).describe('Qualified name (path#Name.member) or a unique plain name'),
    context_lines: z.number().int().min(0).max(50).optional().describe('Lines of context before and after the symbol (default 0)'),
  },
  get_graph_schema: { project },
  get_architecture: { project, path: z.string().optional().describe('Limit to a folder of the project') },
  detect_changes: {
    project,
    base: z.string().optional().describe('Git revision to diff against HEAD; default: uncommitted working-tree changes'),
    depth: z.number().int().min(0).max(4).optional().describe('Caller depth for impact (default 2)'),
  },
} satisfies Record<string, z.ZodRawShape>;

/*
 * Output schemas: what each tool's `data` (MCP `structuredContent`) holds. Precise where the shape is fixed,
 * open (`passthrough`, optional fields) where it varies, so a new field never breaks a client that validates
 * (the MCP SDK client validates every `structuredContent` against `outputSchema`).
 */
const int = z.number().int();
const obj = <T extends z.ZodRawShape>(shape: T) => z.object(shape).passthrough();
const nullableString = z.string().nullable();
const projectRef = obj({ name: z.string(), root: z.string() }).describe('The project answered about');
const freshness = obj({
  indexed_at: int.nullable().describe('Epoch ms of the last index'),
  pending_changes: int.describe('Files changed on disk and not yet in the graph'),
  watch: z.string().describe('watching, polling, off or stopped'),
  stale: z.boolean().describe('The answer may miss recent edits'),
  reindexing: z.boolean().optional().describe('A full re-index is running: this answer is from the graph before it'),
});
const common = { project: projectRef.optional(), freshness: freshness.optional() };
const paging = {
  total: int.describe('All matches (a lower bound when total_exact is false)'),
  total_exact: z.boolean(),
  offset: int,
  shown: int,
  truncated: int.describe('Matches after this page'),
  next_cursor: nullableString.describe('Pass as `cursor` to get the next page; null on the last page'),
};
const node = obj({
  kind: z.string(),
  name: z.string(),
  qname: z.string().describe('path#Outer.inner'),
  file: nullableString,
  start_line: int.nullable(),
  end_line: int.nullable(),
  signature: nullableString,
  exported: z.boolean(),
  doc: nullableString,
});
const unresolvedSite = obj({ callee: z.string(), file: z.string(), line: int, reason: z.string() });
const treeNode = obj({
  qname: z.string(),
  kind: z.string(),
  file: nullableString,
  start_line: int.nullable(),
  call_lines: z.array(int),
  strategy: nullableString,
  confidence: z.number().nullable(),
  low_confidence: z.boolean(),
  repeat: z.boolean().describe('Reached again elsewhere; expanded there'),
  unresolved: z.array(unresolvedSite).describe('First 10 unresolved call sites of this hop'),
  unresolved_total: int,
  children: z.array(z.object({}).passthrough()).describe('Tree nodes of the next hop, same shape'),
});
const traceDirection = obj({
  hops: int,
  low_confidence: int,
  unresolved: int,
  truncated: int,
  root_unresolved: z.array(unresolvedSite).describe('First 10 unresolved call sites of the traced symbol itself'),
  root_unresolved_total: int,
  tree: z.array(treeNode),
});
const ambiguity = {
  ambiguous: z.boolean().describe('true: the name matched several symbols, listed in candidates'),
  candidates: z.array(node).optional(),
};

export const TOOL_OUTPUTS = {
  index_repository: {
    ...common,
    root: z.string(),
    mode: z.enum(['full', 'incremental']),
    duration_ms: z.number(),
    files: obj({ total: int, parsed: int, unchanged: int, added: int, changed: int, removed: int }),
    lines: int,
    nodes: int,
    edges: int,
    calls: obj({ resolved: int, unresolved: int }),
    git_head: nullableString,
    skipped: z.array(obj({ path: z.string(), reason: z.string() })).describe('First 20'),
    skipped_total: int,
    errors: z.array(obj({ path: z.string(), message: z.string() })).describe('First 10'),
    errors_total: int,
  },
  index_status: {
    ...common,
    state: z.string().describe('new, indexing, ready or failed'),
    error: nullableString,
    indexed_at: int.nullable(),
    git_head: nullableString,
    counts: obj({ files: int, lines: int, symbols: int, edges: int, calls_resolved: int, calls_unresolved: int }).nullable(),
    last_index: obj({ mode: nullableString, duration_ms: z.number().nullable(), skipped: int, errors: int }).nullable(),
    changed_since: int,
    job: obj({ mode: z.string(), started_at: int, phase: nullableString, done: int, total: int }).nullable().optional(),
  },
  list_projects: {
    projects: z.array(
      obj({
        name: z.string(),
        root: z.string(),
        state: z.string(),
        error: nullableString,
        indexed_at: int.nullable(),
        git_head: nullableString,
        files: int.nullable(),
        symbols: int.nullable(),
        freshness,
      }),
    ),
    total: int,
    truncated: int,
  },
  delete_project: { ...common, deleted: z.boolean(), files: int, symbols: int, edges: int },
  search_graph: { ...common, results: z.array(node), any_word: z.boolean().describe('No symbol matched every word; these match any'), regex_stopped: z.boolean().optional().describe('name_pattern ran out of its time budget; simplify it'), ...paging },
  search_code: {
    ...common,
    hits: z.array(obj({ file: z.string(), line: int, symbol: nullableString, text: z.string(), before: z.array(z.string()), after: z.array(z.string()) })),
    files_searched: int,
    files_total: int,
    stopped_by_time: z.boolean(),
    ...paging,
  },
  trace_path: {
    ...common,
    ...ambiguity,
    ambiguous: ambiguity.ambiguous.optional(),
    symbol: node.optional(),
    direction: z.enum(['callers', 'callees', 'both']).optional(),
    depth: int.optional(),
    callers: traceDirection.optional(),
    callees: traceDirection.optional(),
  },
  get_code_snippet: {
    ...common,
    ...ambiguity,
    symbol: node.optional(),
    start_line: int.optional(),
    end_line: int.optional(),
    source: z.string().optional(),
    truncated_lines: int.optional(),
    changed_since_index: z.boolean().optional(),
  },
  get_graph_schema: {
    ...common,
    node_kinds: z.array(obj({ kind: z.string(), count: int })),
    node_properties: z.string(),
    edge_types: z.array(obj({ type: z.string(), count: int, meaning: nullableString })),
    call_strategies: z.array(obj({ strategy: z.string(), count: int, avg_confidence: z.number().nullable() })),
    unresolved_reasons: z.array(obj({ reason: z.string(), count: int })),
    languages: z.array(obj({ language: z.string(), files: int })),
  },
  get_architecture: {
    ...common,
    scope: nullableString,
    files: int,
    lines: int,
    languages: z.array(obj({ language: z.string(), files: int, lines: int })),
    units: z.array(obj({ unit: z.string(), files: int, lines: int, package: z.boolean() })),
    units_total: int,
    entry_points: z.array(obj({ package: z.string(), field: z.string(), target: z.string(), file: nullableString, mapped: z.boolean() })),
    entry_points_total: int,
    unimported_files: z.array(obj({ path: z.string(), lines: int })),
    unimported_total: int,
    most_called: z.array(obj({ kind: z.string(), qname: z.string(), file: z.string(), start_line: int, calls: int, files: int })),
    dependencies: z.array(obj({ from: z.string(), to: z.string(), imports: int })),
    dependencies_total: int,
    cycles: z.array(z.array(z.string())),
    cycles_total: int,
  },
  detect_changes: {
    ...common,
    against: z.string(),
    base: nullableString,
    head: nullableString,
    depth: int,
    files: z.array(obj({ path: z.string(), status: z.string(), added: int, deleted: int })),
    symbols: z.array(
      node.extend({
        change: z.enum(['added', 'modified']),
        changed_lines: z.array(int),
        risk: z.enum(['high', 'medium', 'low']),
        reasons: z.array(z.string()),
        direct_callers: int,
        callers_total: int,
        callers: z.array(z.string()).describe('First 20 qualified names'),
        tested: z.boolean(),
      }),
    ),
    symbols_total: int,
    deleted: z.array(obj({ name: z.string(), file: z.string(), old_line: int, still_called: z.array(obj({ file: z.string(), line: int, callee: z.string() })) })),
    top_level_changes: z.array(obj({ path: z.string(), lines: z.array(int) })),
    not_in_graph: z.array(z.string()),
  },
} satisfies { [N in keyof typeof TOOL_INPUTS]: z.ZodRawShape };

export type ToolName = keyof typeof TOOL_INPUTS;
export type ToolArgs<N extends ToolName> = z.infer<z.ZodObject<(typeof TOOL_INPUTS)[N]>>;

export interface ToolDefinition {
  name: ToolName;
  title: string;
  description: string;
  /** Safe to retry after the daemon died mid-call. */
  readOnly: boolean;
  destructive?: boolean;
}

export const TOOLS: readonly ToolDefinition[] = [
  {
    name: 'index_repository',
    title: 'Index repository',
    description: 'Index or refresh a TypeScript/JavaScript repository into the code graph; returns counts, duration and skipped files.',
    readOnly: false,
  },
  {
    name: 'index_status',
    title: 'Index status',
    description: 'State of a project\'s index: ready/indexing/failed, counts, when indexed, git HEAD then, and how many files changed since.',
    readOnly: true,
  },
  { name: 'list_projects', title: 'List projects', description: 'Indexed projects with their roots, counts and freshness.', readOnly: true },
  {
    name: 'delete_project',
    title: 'Delete project',
    description: 'Delete a project and all its indexed data from the shared cache (the repository itself is untouched).',
    readOnly: false,
    destructive: true,
  },
  {
    name: 'search_graph',
    title: 'Search symbols',
    description: 'Find functions, classes, methods, interfaces and types by ranked full-text query and/or name regex, kind, file glob or export status.',
    readOnly: true,
  },
  {
    name: 'search_code',
    title: 'Search code',
    description: 'Text or regex search over the project\'s indexed source files (smart case); each hit comes with its enclosing symbol and context lines.',
    readOnly: true,
  },
  {
    name: 'trace_path',
    title: 'Trace callers/callees',
    description: 'Call tree of a symbol (callers, callees or both) with file:line per hop, marking unresolved and low-confidence calls.',
    readOnly: true,
  },
  {
    name: 'get_code_snippet',
    title: 'Get code snippet',
    description: 'Source of a symbol by qualified name, member path (Class.method) or plain name when unique; an ambiguous name answers with the candidates to choose from.',
    readOnly: true,
  },
  {
    name: 'get_graph_schema',
    title: 'Graph schema',
    description: 'Node kinds and edge types present in a project\'s graph, with counts.',
    readOnly: true,
  },
  {
    name: 'get_architecture',
    title: 'Architecture overview',
    description: 'Shape of a codebase in one call: languages, top folders, entry points, most-called symbols, folder dependencies and cycles.',
    readOnly: true,
  },
  {
    name: 'detect_changes',
    title: 'Detect changes',
    description: 'Map the working-tree diff (or base..HEAD) to the symbols it changes and their callers, with a risk level per symbol.',
    readOnly: true,
  },
];

export function isToolName(name: string): name is ToolName {
  return Object.prototype.hasOwnProperty.call(TOOL_INPUTS, name);
}

/** Short server instructions sent in the `initialize` reply (kept under 1 KB). */
export const SERVER_INSTRUCTIONS = [
  'codehive answers questions about the code graph of this repository; prefer it over grep and reading files.',
  'Where is X defined / find symbols: search_graph. Text in files: search_code.',
  'Who calls X / what does X call: trace_path. Source of X: get_code_snippet.',
  'Overview of an unfamiliar codebase: get_architecture. Impact of the current diff: detect_changes.',
  'First time in a repository: index_repository {path: "."} (later calls refresh incrementally); index_status tells freshness.',
  'project defaults to the working directory. Answers are paged: pass next_cursor to continue.',
].join('\n');
