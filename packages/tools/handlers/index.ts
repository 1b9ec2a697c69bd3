/**
 * The tool handlers: one implementation per tool, serving MCP (through the shim) and the CLI alike. The
 * daemon validates arguments against TOOL_INPUTS before calling; handlers return `{text, data}` or throw a
 * CodehiveError whose message tells the agent what to do next.
 */
import type { ToolHandler } from '../context.js';
import type { ToolName } from '../definitions.js';
import { deleteProjectHandler } from './delete_project.js';
import { detectChangesHandler } from './detect_changes.js';
import { getArchitectureHandler } from './get_architecture.js';
import { getCodeSnippetHandler } from './get_code_snippet.js';
import { getGraphSchemaHandler } from './get_graph_schema.js';
import { indexRepositoryHandler } from './index_repository.js';
import { indexStatusHandler } from './index_status.js';
import { listProjectsHandler } from './list_projects.js';
import { searchCodeHandler } from './search_code.js';
import { searchGraphHandler } from './search_graph.js';
import { tracePathHandler } from './trace_path.js';

export const HANDLERS: { [N in ToolName]: ToolHandler<N> } = {
  index_repository: indexRepositoryHandler,
  index_status: indexStatusHandler,
  list_projects: listProjectsHandler,
  delete_project: deleteProjectHandler,
  search_graph: searchGraphHandler,
  search_code: searchCodeHandler,
  trace_path: tracePathHandler,
  get_code_snippet: getCodeSnippetHandler,
  get_graph_schema: getGraphSchemaHandler,
  get_architecture: getArchitectureHandler,
  detect_changes: detectChangesHandler,
};
