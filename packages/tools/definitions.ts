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

export function toolDefinition(name: string): ToolDefinition | undefined {
  return TOOLS.find((t) => t.name === name);
}

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
