/**
 * The tool handlers: one implementation per tool, serving MCP (through the shim) and the CLI alike. The
 * daemon validates arguments against TOOL_INPUTS before calling; handlers return `{text, data}` or throw a
 * CodehiveError whose message tells the agent what to do next.
 */
import type { ToolHandler } from '../context.js';
import type { ToolName } from '../definitions.js';
import { CodehiveError } from '../../protocol/index.js';
import { deleteProjectHandler } from './delete_project.js';
import { getGraphSchemaHandler } from './get_graph_schema.js';
import { indexRepositoryHandler } from './index_repository.js';
import { indexStatusHandler } from './index_status.js';
import { listProjectsHandler } from './list_projects.js';
import { searchGraphHandler } from './search_graph.js';

const notYet = (name: string) => async () => {
  throw new CodehiveError('INTERNAL', `${name} is not implemented yet`);
};

export const HANDLERS: { [N in ToolName]: ToolHandler<N> } = {
  index_repository: indexRepositoryHandler,
  index_status: indexStatusHandler,
  list_projects: listProjectsHandler,
  delete_project: deleteProjectHandler,
  search_graph: searchGraphHandler,
  search_code: notYet('search_code'),
  trace_path: notYet('trace_path'),
  get_code_snippet: notYet('get_code_snippet'),
  get_graph_schema: getGraphSchemaHandler,
  get_architecture: notYet('get_architecture'),
  detect_changes: notYet('detect_changes'),
};
