/**
 * The model double: a scripted model API on 127.0.0.1 that real agent CLIs are pointed at the way a user points them
 * at a proxy. It speaks Anthropic Messages, OpenAI Responses, OpenAI Chat Completions and Gemini on one port, answers
 * from a Script, and records every request so a test can assert what the CLI sent. See docs/model-double.md.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Conversation, type Reply, roughTokens, shapeFromSchema } from "./conversation.js";
import { anthropic } from "./protocols/anthropic.js";
import { gemini, geminiTarget } from "./protocols/gemini.js";
import { openaiChat } from "./protocols/openai-chat.js";
import { openaiResponses } from "./protocols/openai-responses.js";
import { type Protocol, sendJson, sleep } from "./protocols/protocol.js";
import { chooseStep, parseScript, type Rule, type Script, type Step, type Usage } from "./script.js";
import { namedCall, shellCall } from "./tool-calls.js";

export interface ModelDoubleOptions {
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  host?: string;
  script?: Script;
  /** Held before every answer unless its step says otherwise (default 0). */
  delayMs?: number;
  /** Called with one line per request (the command prints them). */
  log?: (line: string) => void;
}

/** One request as the double saw and answered it. */
export interface RecordedRequest {
  seq: number;
  at: string;
  method: string;
  path: string;
  protocol: Protocol["name"] | "other";
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  prompt: string;
  toolResults: string[];
  tools: string[];
  system: string;
  /** A request the script was not asked about: no tools offered, or structured (JSON) output wanted. */
  side: boolean;
  /** Index of the rule that answered (-1: the fallback or a side answer). */
  rule: number;
  reply: Reply | { kind: "none" };
  usage?: Usage;
}

const CONTROL = "/_double";
const MAX_BODY = 64 * 1024 * 1024;
export const SIDE_ANSWER = "Model double side answer.";

export class ModelDouble {
  private script: Script;
  private readonly recorded: RecordedRequest[] = [];
  private readonly waiters = new Set<() => void>();
  private callCounter = 0;
  private seq = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly options: ModelDoubleOptions,
  ) {
    this.script = options.script ?? { rules: [] };
  }

  static async start(options: ModelDoubleOptions = {}): Promise<ModelDouble> {
    const server = http.createServer();
    const double = new ModelDouble(server, options);
    server.on("request", (req, res) => {
      double.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: { message: String((error as Error)?.message ?? error) } });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
    return double;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port>`: the base URL for ANTHROPIC_BASE_URL and GOOGLE_GEMINI_BASE_URL; OpenAI clients add `/v1`. */
  get url(): string {
    return `http://${this.options.host ?? "127.0.0.1"}:${this.port}`;
  }

  setScript(script: Script): void {
    this.script = script;
  }

  /** Adds rules in front of the current ones (a later, more specific rule wins). */
  addRules(...rules: Rule[]): void {
    this.script = { ...this.script, rules: [...rules, ...this.script.rules] };
  }

  /** The requests so far (optionally only those that match), oldest first. */
  requests(filter?: (request: RecordedRequest) => boolean): RecordedRequest[] {
    return filter ? this.recorded.filter(filter) : [...this.recorded];
  }

  /** The requests that carried a prompt containing `text` (side requests excluded). */
  requestsFor(text: string): RecordedRequest[] {
    return this.recorded.filter((r) => !r.side && r.prompt.includes(text));
  }

  clear(): void {
    this.recorded.length = 0;
  }

  /** Resolves with the first recorded request (past or future) that matches; rejects after `timeoutMs`. */
  async waitForRequest(filter: (request: RecordedRequest) => boolean, timeoutMs = 60_000): Promise<RecordedRequest> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.recorded.find(filter);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `the model double saw no matching request within ${timeoutMs} ms (${this.recorded.length} requests: ${this.summary()})`,
        );
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 1000));
        this.waiters.add(wake);
      });
    }
  }

  /** One line per request, for failure messages. */
  summary(): string {
    return this.recorded
      .map(
        (r) =>
          `#${r.seq} ${r.protocol}${r.side ? "(side)" : ""} "${r.prompt.slice(-40).replace(/\s+/g, " ")}" → ${r.reply.kind}`,
      )
      .join("; ");
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://double.local");
    const raw = await readBody(req);
    if (url.pathname.startsWith(CONTROL)) return this.control(req.method ?? "GET", url, raw, res);
    let body: Record<string, unknown> = {};
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return sendJson(res, 400, { error: { message: "request body is not JSON" } });
      }
    }
    const method = req.method ?? "GET";
    const path = url.pathname.replace(/\/+$/, "");
    if (method === "GET" && /(?:^|\/)models$/.test(path)) return this.listModels(res, path);
    if (method === "POST" && path.endsWith("/messages/count_tokens")) {
      return sendJson(res, 200, { input_tokens: roughTokens(raw) });
    }
    const target = geminiTarget(url);
    if (method === "POST" && target?.method === "countTokens")
      return sendJson(res, 200, { totalTokens: roughTokens(raw) });
    const protocol: Protocol | undefined =
      method !== "POST"
        ? undefined
        : path.endsWith("/messages")
          ? anthropic
          : path.endsWith("/chat/completions")
            ? openaiChat
            : path.endsWith("/responses")
              ? openaiResponses
              : target && /^(?:stream)?[gG]enerateContent$/.test(target.method)
                ? gemini
                : undefined;
    if (!protocol) {
      this.record({ method, path, protocol: "other", headers: req.headers, body, reply: { kind: "none" } });
      return sendJson(res, 404, { error: { message: `the model double does not serve ${method} ${path}` } });
    }
    await this.answer(protocol, protocol.read(body, url), { method, path, headers: req.headers, body }, res);
  }

  private async answer(
    protocol: Protocol,
    conversation: Conversation,
    request: Pick<RecordedRequest, "method" | "path" | "headers" | "body">,
    res: ServerResponse,
  ): Promise<void> {
    const side = conversation.jsonSchema !== undefined || conversation.tools.length === 0;
    const { step, rule } = side
      ? { step: { text: SIDE_ANSWER } as Step, rule: -1 }
      : chooseStep(this.script, conversation.prompt, conversation.toolResults.length);
    let reply: Reply;
    try {
      reply =
        conversation.jsonSchema !== undefined
          ? { kind: "json", value: shapeFromSchema(conversation.jsonSchema) }
          : this.replyFor(step, conversation, request.body);
    } catch (error) {
      reply = { kind: "error", status: 400, message: `model double: ${(error as Error).message}` };
    }
    const produced =
      reply.kind === "text"
        ? reply.text
        : reply.kind === "tool"
          ? JSON.stringify(reply.input)
          : reply.kind === "json"
            ? JSON.stringify(reply.value)
            : "";
    const usage = ("usage" in step && step.usage) || {
      inputTokens: roughTokens(JSON.stringify(request.body)),
      outputTokens: roughTokens(produced),
    };
    const entry = this.record({
      ...request,
      protocol: protocol.name,
      prompt: conversation.prompt,
      toolResults: conversation.toolResults,
      tools: conversation.tools.map((t) => (t.namespace ? `${t.namespace}__${t.name}` : t.name)),
      system: conversation.system,
      side,
      rule,
      reply,
      ...(reply.kind === "error" ? {} : { usage }),
    });
    this.options.log?.(
      `#${entry.seq} ${protocol.name}${side ? " (side)" : ""} prompt "${conversation.prompt.slice(-60).replace(/\s+/g, " ")}" +${conversation.toolResults.length} results → ${describe(reply)}`,
    );
    await sleep(step.delayMs ?? this.options.delayMs ?? 0);
    if (reply.kind === "error") return sendJson(res, reply.status, protocol.errorBody(reply.status, reply.message));
    await protocol.write(res, reply, conversation, usage);
  }

  private replyFor(step: Step, conversation: Conversation, body: unknown): Reply {
    if ("error" in step)
      return {
        kind: "error",
        status: step.error.status,
        message: step.error.message ?? `scripted error ${step.error.status}`,
      };
    if ("text" in step)
      return { kind: "text", text: step.text, chunks: step.chunks ?? 1, chunkDelayMs: step.chunkDelayMs ?? 0 };
    const id = `call_double_${++this.callCounter}`;
    const call =
      "shell" in step
        ? shellCall(step.shell, conversation.tools)
        : namedCall(step.tool, step.input, conversation.tools, JSON.stringify(body), step.server);
    return { kind: "tool", id, ...call };
  }

  private listModels(res: ServerResponse, path: string): void {
    const ids = ["fake-model", "model-double"];
    if (path.includes("v1beta"))
      return sendJson(res, 200, {
        models: ids.map((id) => ({ name: `models/${id}`, supportedGenerationMethods: ["generateContent"] })),
      });
    sendJson(res, 200, {
      object: "list",
      data: ids.map((id) => ({ id, object: "model", created: 0, owned_by: "model-double" })),
      models: [],
    });
  }

  private control(method: string, url: URL, raw: string, res: ServerResponse): void {
    const what = url.pathname.slice(CONTROL.length);
    if (what === "/health" && method === "GET")
      return sendJson(res, 200, { status: "ok", requests: this.recorded.length });
    if (what === "/requests" && method === "GET") return sendJson(res, 200, this.recorded);
    if (what === "/requests" && method === "DELETE") {
      this.clear();
      return sendJson(res, 200, { cleared: true });
    }
    if (what === "/script" && method === "PUT") {
      try {
        this.setScript(parseScript(JSON.parse(raw || "null")));
      } catch (error) {
        return sendJson(res, 400, { detail: (error as Error).message });
      }
      return sendJson(res, 200, { rules: this.script.rules.length });
    }
    sendJson(res, 404, { detail: `unknown control route ${method} ${url.pathname}` });
  }

  private record(
    fields: Partial<RecordedRequest> &
      Pick<RecordedRequest, "method" | "path" | "protocol" | "headers" | "body" | "reply">,
  ): RecordedRequest {
    const entry: RecordedRequest = {
      seq: ++this.seq,
      at: new Date().toISOString(),
      prompt: "",
      toolResults: [],
      tools: [],
      system: "",
      side: false,
      rule: -1,
      ...fields,
    };
    this.recorded.push(entry);
    for (const wake of [...this.waiters]) wake();
    return entry;
  }
}

function describe(reply: Reply): string {
  switch (reply.kind) {
    case "text":
      return `text "${reply.text.slice(0, 40)}"`;
    case "tool":
      return `tool ${reply.namespace ? `${reply.namespace}.` : ""}${reply.name} ${JSON.stringify(reply.input).slice(0, 80)}`;
    case "json":
      return "json";
    case "error":
      return `error ${reply.status}`;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error("request body too large"));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
