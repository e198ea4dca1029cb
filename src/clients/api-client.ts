import http from "node:http";
import { apiAddressFrom, baseUrlOf } from "../util/api-address.js";
import type {
  InboxAccepted,
  InputParams,
  PluginDetails,
  PluginRow,
  ProfileDetail,
  SessionSummary,
  SkillContent,
  Terminal,
} from "../contract/index.js";

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

  async request<T>(
    method: string,
    path: string,
    body?: Record<string, unknown>,
    query?: Record<string, string | number | undefined>,
  ): Promise<T> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    let response: { status: number; text: string };
    try {
      response = await send(
        url,
        method,
        {
          ...(body ? { "content-type": "application/json" } : {}),
          ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
        },
        body ? JSON.stringify(body) : undefined,
      );
    } catch {
      throw new ServerUnreachableError(this.baseUrl);
    }
    const text = response.text;
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = text;
    }
    if (response.status < 200 || response.status > 299) {
      const detail = (data as { detail?: string } | undefined)?.detail ?? `HTTP ${response.status}`;
      throw new ApiError(response.status, detail);
    }
    return data as T;
  }

  health(): Promise<{ status: string; service: string }> {
    return this.request("GET", "/health");
  }

  createSession(params: NewSessionParams): Promise<Terminal> {
    return this.request("POST", "/sessions", { ...params });
  }

  listSessions(): Promise<SessionSummary[]> {
    return this.request("GET", "/sessions");
  }

  /** GET /sessions/:name/terminals: the session's terminals, first created first (404 for an unknown session). */
  sessionTerminals(session: string): Promise<Terminal[]> {
    return this.request("GET", `/sessions/${encodeURIComponent(session)}/terminals`);
  }

  deleteSession(name: string): Promise<{ success: boolean }> {
    return this.request("DELETE", `/sessions/${encodeURIComponent(name)}`);
  }

  createTerminal(session: string, params: NewTerminalParams): Promise<Terminal> {
    return this.request("POST", `/sessions/${encodeURIComponent(session)}/terminals`, { ...params });
  }

  /** GET /agents/profiles/:name: the profile's front matter and prompt (404 unknown, 400 a bad name or a profile that does not load). */
  profile(name: string): Promise<ProfileDetail> {
    return this.request("GET", `/agents/profiles/${encodeURIComponent(name)}`);
  }

  /** GET /skills/:name: a skill's content (404 unknown, 400 a bad name or a SKILL.md that does not load). */
  skill(name: string): Promise<SkillContent> {
    return this.request("GET", `/skills/${encodeURIComponent(name)}`);
  }

  getTerminal(id: string): Promise<Terminal> {
    return this.request("GET", `/terminals/${encodeURIComponent(id)}`);
  }

  workingDirectory(id: string): Promise<{ working_directory: string }> {
    return this.request("GET", `/terminals/${encodeURIComponent(id)}/working-directory`);
  }

  sendInput(id: string, params: InputParams): Promise<{ success: boolean }> {
    return this.request("POST", `/terminals/${encodeURIComponent(id)}/input`, { ...params });
  }

  /** POST /terminals/:id/key: presses one tmux key (`Enter`, `Escape`, `y`, `C-c`, …). */
  sendKey(id: string, key: string): Promise<{ success: boolean }> {
    return this.request("POST", `/terminals/${encodeURIComponent(id)}/key`, { key });
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

  sendToInbox(receiver: string, params: { sender_id: string; message: string }): Promise<InboxAccepted> {
    return this.request("POST", `/terminals/${encodeURIComponent(receiver)}/inbox/messages`, params);
  }

  plugins(): Promise<PluginRow[]> {
    return this.request("GET", "/plugins");
  }

  /** GET /plugins/:name (docs/contract.md#configyaml): the row plus the `config:` section as written, isolation and delivery stats. */
  plugin(name: string): Promise<PluginDetails> {
    return this.request("GET", `/plugins/${encodeURIComponent(name)}`);
  }

  /** POST /plugins/:name/reload | enable | disable: the row after the change. */
  changePlugin(name: string, action: PluginAction): Promise<PluginRow> {
    return this.request("POST", `/plugins/${encodeURIComponent(name)}/${action}`);
  }

  /** POST /plugins/rescan: discover again; the rows after it. */
  rescanPlugins(): Promise<PluginRow[]> {
    return this.request("POST", "/plugins/rescan");
  }
}

export type PluginAction = "reload" | "enable" | "disable";

/** `POST /sessions/:name/terminals` parameters (docs/contract.md); provider defaults as the server decides. */
export interface NewTerminalParams {
  provider?: string;
  agent_profile: string;
  working_directory?: string;
  caller_id?: string;
  allowed_tools?: string[];
  initial_message?: string;
}

/** `POST /sessions` parameters. */
export interface NewSessionParams extends Omit<NewTerminalParams, "caller_id"> {
  session_name?: string;
}
export type { PluginDetails, PluginRow, Terminal };

/**
 * One HTTP exchange with node:http rather than fetch: fetch's implementation (undici) is loaded on first use, which
 * was a visible part of every short `cao` command's start-up (bench/cli-startup.mjs). No keep-alive: a CLI makes one
 * or two calls and must not hold its process open for an idle socket.
 */
function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method, headers: { ...headers, "content-length": Buffer.byteLength(body ?? "") }, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.once("end", () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        response.once("error", reject);
      },
    );
    request.once("error", reject);
    request.end(body);
  });
}
