/**
 * Typed errors shared by every codehive process. Each carries a stable `code` (for programs and the socket
 * protocol) and a message a person can act on. The HTTP status is derived from the code so daemon routes
 * and clients agree on it.
 */
export type ErrorCode =
  | 'CONFIG_INVALID' // a setting (env var, flag) has a value we refuse
  | 'NOT_BUILT' // a dependency's native code was never built (its install script did not run)
  | 'BAD_REQUEST' // malformed body or arguments
  | 'UNKNOWN_TOOL'
  | 'UNKNOWN_ROUTE'
  | 'UNKNOWN_PROJECT'
  | 'UNKNOWN_SYMBOL'
  | 'UNKNOWN_SESSION'
  | 'NOT_FOUND' // a path or file that does not exist
  | 'PATH_NOT_ALLOWED' // outside the configured roots
  | 'PATH_TOO_LONG' // socket path over sun_path
  | 'UNSAFE_DIR' // socket dir not owned by us, a symlink, or group/world accessible
  | 'DRAINING' // daemon refuses new calls while it drains for a hand-over
  | 'INCOMPATIBLE_VERSION'
  | 'DAEMON_UNAVAILABLE' // could not reach or start the daemon
  | 'DAEMON_DIED' // the daemon vanished during a call
  | 'BUSY' // a conflicting job is running
  | 'CANCELLED'
  | 'INTERNAL';

const HTTP_STATUS: Record<ErrorCode, number> = {
  CONFIG_INVALID: 400,
  NOT_BUILT: 500,
  BAD_REQUEST: 400,
  UNKNOWN_TOOL: 404,
  UNKNOWN_ROUTE: 404,
  UNKNOWN_PROJECT: 404,
  UNKNOWN_SYMBOL: 404,
  UNKNOWN_SESSION: 404,
  NOT_FOUND: 404,
  PATH_NOT_ALLOWED: 403,
  PATH_TOO_LONG: 400,
  UNSAFE_DIR: 500,
  DRAINING: 503,
  INCOMPATIBLE_VERSION: 409,
  DAEMON_UNAVAILABLE: 503,
  DAEMON_DIED: 503,
  BUSY: 409,
  CANCELLED: 499,
  INTERNAL: 500,
};

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Optional machine-readable detail (known projects, near matches, …). */
  data?: unknown;
}

export class CodehiveError extends Error {
  readonly code: ErrorCode;
  readonly data?: unknown;

  constructor(code: ErrorCode, message: string, data?: unknown) {
    super(message);
    this.name = 'CodehiveError';
    this.code = code;
    this.data = data;
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  toBody(): ErrorBody {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  static fromBody(body: ErrorBody): CodehiveError {
    return new CodehiveError(body.code, body.message, body.data);
  }
}

export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** Any thrown value as a CodehiveError; unknown errors become INTERNAL with their message kept. */
export function asCodehiveError(err: unknown): CodehiveError {
  if (err instanceof CodehiveError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new CodehiveError('INTERNAL', message);
}

/** What a daemon that is draining answers every new call, whatever carried it. */
export function drainingError(): CodehiveError {
  return new CodehiveError('DRAINING', 'the daemon is shutting down; reconnect and retry');
}
