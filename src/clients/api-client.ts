import { apiAddressFrom, baseUrlOf } from "../util/api-address.js";
import type { PluginInfo } from "../plugins/host/registry.js";
import type { Terminal } from "../services/terminal-service.js";

export interface ClientOptions {
  env?: Record<string, string | undefined>;
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <token>` (default CAO_API_TOKEN; empty means none). */
  token?: string;
}

/** The API answered with an error status; `detail` is the server's own explanation. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
    this.name = "ApiError";
  }
}

/** The server could not be reached at all. */
export class ServerUnreachableError extends Error {
  constructor(readonly baseUrl: string) {
    super(`cao-server is not running at ${baseUrl} (start it with "cao server", or set CAO_API_HOST / CAO_API_PORT)`);
    this.name = "ServerUnreachableError";
  }
}

export function baseUrlFrom(env: Record<string, string | undefined>): string {
  return baseUrlOf(apiAddressFrom(env));
}

/**
 * A small typed client of cao-server's HTTP API, used by the CLI and the MCP server. Parameters go as JSON. It sends
 * no Origin header (it is not a browser), so the server's cross-site check lets it through.
 */
export class CaoClient {
  readonly baseUrl: string;
  readonly #token: string | undefined;

  constructor(options: ClientOptions = {}) {
    const env = options.env ?? process.env;
    this.baseUrl = options.baseUrl ?? baseUrlFrom(env);
    this.#token = options.token ?? (env.CAO_API_TOKEN || undefined);
  }

  async request<T>(method: string, path: string, body?: Record<string, unknown>, query?: Record<string, string | number | undefined>): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          ...(body ? { "content-type": "application/json" } : {}),
          ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ServerUnreachableError(this.baseUrl);
    }
    const text = await response.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = text;
    }
    if (!response.ok) {
      const detail = (data as { detail?: string } | undefined)?.detail ?? `HTTP ${response.status}`;
      throw new ApiError(response.status, detail);
    }
    return data as T;
  }

  health(): Promise<{ status: string; service: string }> {
    return this.request("GET", "/health");
  }

  createSession(params: { provider: string; agent_profile: string; session_name?: string; working_directory?: string }): Promise<Terminal> {
    return this.request("POST", "/sessions", params);
  }

  listSessions(): Promise<{ id: string; name: string; status: string }[]> {
    return this.request("GET", "/sessions");
  }

  deleteSession(name: string): Promise<{ success: boolean }> {
    return this.request("DELETE", `/sessions/${encodeURIComponent(name)}`);
  }

  createTerminal(session: string, params: { provider: string; agent_profile: string; working_directory?: string }): Promise<Terminal> {
    return this.request("POST", `/sessions/${encodeURIComponent(session)}/terminals`, params);
  }

  getTerminal(id: string): Promise<Terminal> {
    return this.request("GET", `/terminals/${encodeURIComponent(id)}`);
  }

  workingDirectory(id: string): Promise<{ working_directory: string }> {
    return this.request("GET", `/terminals/${encodeURIComponent(id)}/working-directory`);
  }

  sendInput(id: string, params: { message: string; sender_id?: string; orchestration_type?: string }): Promise<{ success: boolean }> {
    return this.request("POST", `/terminals/${encodeURIComponent(id)}/input`, params);
  }

  output(id: string, mode: "full" | "last"): Promise<{ output: string; mode: string }> {
    return this.request("GET", `/terminals/${encodeURIComponent(id)}/output`, undefined, { mode });
  }

  exitTerminal(id: string): Promise<{ success: boolean }> {
    return this.request("POST", `/terminals/${encodeURIComponent(id)}/exit`);
  }

  deleteTerminal(id: string): Promise<{ success: boolean }> {
    return this.request("DELETE", `/terminals/${encodeURIComponent(id)}`);
  }

  sendToInbox(
    receiver: string,
    params: { sender_id: string; message: string },
  ): Promise<{ success: true; message_id: number; sender_id: string; receiver_id: string; created_at: string }> {
    return this.request("POST", `/terminals/${encodeURIComponent(receiver)}/inbox/messages`, params);
  }

  plugins(): Promise<PluginInfo[]> {
    return this.request("GET", "/plugins");
  }
}
