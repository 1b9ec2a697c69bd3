/**
 * `codehive <command>`: the CLI for people. Every command goes through the daemon like the shims do (a
 * re-index from the shell never takes the daemon down); tool commands print the same dense text the agents
 * get, or the structured data with --json.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DaemonConnection } from '../packages/client/connection.js';
import { buildInfo, cachePaths } from '../packages/config/index.js';
import { createLogger } from '../packages/log/index.js';
import { asCodehiveError, CodehiveError } from '../packages/protocol/index.js';
import { isReadOnlyTool } from '../packages/tools/catalog.js';
import type { ToolName } from '../packages/tools/definitions.js';
import { progressReporter } from './progress.js';

interface ToolCommand {
  tool: ToolName;
  usage: string;
  summary: string;
  /** Positional arguments, in order, become these tool arguments. */
  positional: string[];
  fixed?: Record<string, unknown>;
}

const TOOL_COMMANDS: Record<string, ToolCommand> = {
  index: { tool: 'index_repository', usage: 'index [path] [--full]', summary: 'index or refresh a repository (default: .)', positional: ['path'] },
  search: { tool: 'search_graph', usage: 'search <query> [--kind K] [--file GLOB] [--limit N]', summary: 'find symbols', positional: ['query'] },
  grep: { tool: 'search_code', usage: 'grep <pattern> [--regex] [--file GLOB]', summary: 'search the text of indexed files', positional: ['pattern'] },
  callers: { tool: 'trace_path', usage: 'callers <symbol> [--depth N]', summary: 'who calls a symbol', positional: ['symbol'], fixed: { direction: 'callers' } },
  callees: { tool: 'trace_path', usage: 'callees <symbol> [--depth N]', summary: 'what a symbol calls', positional: ['symbol'], fixed: { direction: 'callees' } },
  snippet: { tool: 'get_code_snippet', usage: 'snippet <symbol>', summary: 'source of a symbol', positional: ['symbol'] },
  changes: { tool: 'detect_changes', usage: 'changes [--base REV]', summary: 'symbols touched by the current diff, and their callers', positional: [] },
  architecture: { tool: 'get_architecture', usage: 'architecture [--path DIR]', summary: 'overview of a codebase', positional: [] },
  schema: { tool: 'get_graph_schema', usage: 'schema', summary: 'node kinds and edge types with counts', positional: [] },
  projects: { tool: 'list_projects', usage: 'projects', summary: 'indexed projects', positional: [] },
  'index-status': { tool: 'index_status', usage: 'index-status', summary: 'state and freshness of a project\'s index', positional: [] },
  'delete-project': { tool: 'delete_project', usage: 'delete-project <project>', summary: 'remove a project\'s data', positional: ['project'] },
};

const OPTIONS = {
  json: { type: 'boolean' },
  project: { type: 'string', short: 'p' },
  full: { type: 'boolean' },
  kind: { type: 'string' },
  file: { type: 'string' },
  limit: { type: 'string' },
  depth: { type: 'string' },
  regex: { type: 'boolean' },
  base: { type: 'string' },
  path: { type: 'string' },
  format: { type: 'string' },
  context: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === 'help' || command === '--help' || command === '-h') return printHelp();
    if (command === 'version' || command === '--version') return void process.stdout.write(`codehive ${buildInfo().version} (${buildInfo().buildId})\n`);
    if (command === 'mcp') return void (await (await import('../shim/main.js')).runShim());
    if (command === 'daemon') return void (await (await import('../daemon/main.js')).runDaemon());
    const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
    if (values.help) return printHelp();
    // Loaded on demand: admin opens SQLite read-only when no daemon runs, which `codehive mcp` never needs.
    const admin = () => import('./admin.js');
    if (command === 'status') return process.exit(await (await admin()).statusCommand(Boolean(values.json)));
    if (command === 'stop') return process.exit(await (await admin()).stopCommand());
    if (command === 'export') return process.exit(await (await admin()).exportCommand(positionals[0] ?? (values.project as string | undefined), String(values.format ?? 'jsonl')));
    const spec = TOOL_COMMANDS[command];
    if (!spec) throw new CodehiveError('BAD_REQUEST', `unknown command ${JSON.stringify(command)}; run \`codehive help\``);
    process.exit(await runToolCommand(spec, positionals, values));
  } catch (err) {
    const e = asCodehiveError(err);
    process.stderr.write(`codehive: ${e.message}\n`);
    process.exit(e.code === 'BAD_REQUEST' || e.code === 'CONFIG_INVALID' ? 2 : 1);
  }
}

async function runToolCommand(spec: ToolCommand, positionals: string[], values: Record<string, unknown>): Promise<number> {
  const args = toolArgs(spec, positionals, values);
  const paths = cachePaths();
  const conn = new DaemonConnection({
    log: createLogger(paths.shimLog, { tag: `cli:${process.pid}` }),
    kind: 'cli',
    client: { name: 'codehive-cli', version: buildInfo().version },
    cwd: process.cwd(),
    session: false,
  });
  const progress = spec.tool === 'index_repository' ? progressReporter(process.stderr) : undefined;
  try {
    const result = await conn.callTool(spec.tool, args, { readOnly: isReadOnlyTool(spec.tool), onProgress: progress?.update });
    progress?.done();
    process.stdout.write(values.json ? JSON.stringify(result.data, null, 2) + '\n' : result.text.endsWith('\n') ? result.text : result.text + '\n');
    return result.isError ? 1 : 0;
  } finally {
    progress?.done();
    conn.close();
  }
}

function toolArgs(spec: ToolCommand, positionals: string[], values: Record<string, unknown>): Record<string, unknown> {
  const args: Record<string, unknown> = { ...spec.fixed };
  spec.positional.forEach((name, i) => {
    if (positionals[i] !== undefined) args[name] = positionals[i];
  });
  if (spec.positional.length === 1 && positionals.length > 1) args[spec.positional[0]!] = positionals.join(' ');
  if (spec.tool === 'index_repository') {
    args.path ??= '.';
    if (values.full) args.mode = 'full';
  }
  if (values.project && spec.tool !== 'delete_project') args.project = values.project;
  const int = (v: unknown, name: string) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new CodehiveError('BAD_REQUEST', `--${name} needs a whole number`);
    return n;
  };
  if (values.kind) args.kind = values.kind;
  if (values.file) args.file_pattern = values.file;
  if (values.limit) args.limit = int(values.limit, 'limit');
  if (values.depth) args.depth = int(values.depth, 'depth');
  if (values.regex) args.regex = true;
  if (values.base) args.base = values.base;
  if (values.path && spec.tool === 'get_architecture') args.path = values.path;
  if (values.context) args.context_lines = int(values.context, 'context');
  return args;
}

function printHelp(): void {
  const lines = [
    `codehive ${buildInfo().version} — one code-graph daemon shared by every agent session`,
    '',
    'Usage: codehive <command> [options]',
    '',
    '  mcp                        run the MCP stdio server (register this with your agent)',
    '  status [--json]            daemon, database, sessions, projects, jobs (exit 3 when not running)',
    '  stop                       stop the daemon cleanly',
    '  export [project] --format jsonl   stream the whole graph as JSON lines',
    ...Object.entries(TOOL_COMMANDS).map(([, c]) => `  ${c.usage.padEnd(26)} ${c.summary}`),
    '',
    'Options: --project/-p <root|name> (default: the project containing the working directory), --json',
    'Environment: CODEHIVE_CACHE_DIR, CODEHIVE_SQLITE_MMAP_SIZE, CODEHIVE_IDLE_TIMEOUT, CODEHIVE_WATCH (see docs/configuration.md)',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
