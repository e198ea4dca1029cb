import { parseArgs } from "node:util";
import { ApiError, baseUrlFrom, CaoClient, ServerUnreachableError } from "../../clients/api-client.js";
import { oneLine, toolInputSummary } from "../../contract/agent-activity.js";
import { UsageError } from "../usage.js";

export const eventsHelp = `usage: cao events [--follow|-f] [--type T]… [--since SEQ] [--json]

Prints cao-server's events (the journal of docs/contract.md#events), one line each, oldest first:
seq, time, type, session, then the event's fields as key=value; what agents report through their
hooks (agent_*) reads as its terminal and a sentence, e.g. "3f9a0c21 Bash: npm test".

  --follow, -f   keep streaming new events; if the server restarts, reconnect and resume
                 after the last event printed (nothing missed, nothing twice). Ctrl-C stops.
  --type T       only events of type T (repeatable), e.g. --type terminal_status_changed
  --since SEQ    events after seq SEQ. Without it, a plain "cao events" prints the newest 100
                 and --follow starts from now.
  --json         one JSON object per line (the event as the API sends it, with "seq")
`;

/** Reconnect delays after a dropped stream: quick at first, then every few seconds while the server is away. */
const BACKOFF_MS = [100, 250, 500, 1000, 2000, 4000];

interface StreamEvent {
  seq: number;
  data: string;
}

export async function eventsCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      follow: { type: "boolean", short: "f" },
      type: { type: "string", multiple: true },
      since: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(eventsHelp);
    return 0;
  }
  let since: number | undefined;
  if (values.since !== undefined) {
    if (!/^[0-9]{1,15}$/.test(values.since))
      throw new UsageError(`--since must be an event seq (a non-negative integer), got ${values.since}`);
    since = Number(values.since);
  }
  // `cao events | head`: a closed pipe ends the command quietly.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  const types = values.type
    ?.flatMap((t) => t.split(","))
    .map((t) => t.trim())
    .filter((t) => t !== "");
  const print = values.json ? (e: StreamEvent) => e.data : (e: StreamEvent) => describe(e.data);
  if (!values.follow) return printHistory(new CaoClient(), since, types, print);
  return follow({ since, types, print });
}

async function printHistory(
  client: CaoClient,
  since: number | undefined,
  types: string[] | undefined,
  print: (e: StreamEvent) => string,
): Promise<number> {
  const query = { ...(types?.length ? { types: types.join(",") } : {}) };
  if (since === undefined) {
    const events = await client.request<Record<string, unknown>[]>("GET", "/events/history", undefined, {
      ...query,
      limit: 100,
    });
    for (const event of events) await out(print({ seq: event.seq as number, data: JSON.stringify(event) }));
    return 0;
  }
  // Everything after --since, a page at a time.
  for (let after = since; ;) {
    const events = await client.request<Record<string, unknown>[]>("GET", "/events/history", undefined, {
      ...query,
      since: after,
      limit: 1000,
    });
    for (const event of events) await out(print({ seq: event.seq as number, data: JSON.stringify(event) }));
    if (events.length < 1000) return 0;
    after = events[events.length - 1]!.seq as number;
  }
}

/**
 * Streams GET /events. The first connection must succeed (else the usual "server not running" error); after that a
 * lost connection is retried with backoff forever, resuming with Last-Event-ID: the last seq printed, or the seq the
 * server said the stream began at, so events of the gap are replayed and none is printed twice.
 */
async function follow(options: {
  since: number | undefined;
  types: string[] | undefined;
  print: (e: StreamEvent) => string;
}): Promise<number> {
  const baseUrl = baseUrlFrom(process.env);
  const token = process.env.CAO_API_TOKEN || undefined;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let resumeFrom = options.since;
  let connectedOnce = false;
  let failures = 0;
  let announcedLoss = false;
  try {
    while (!stop.signal.aborted) {
      const url = new URL("/events", baseUrl);
      if (options.types?.length) url.searchParams.set("types", options.types.join(","));
      if (resumeFrom !== undefined && !connectedOnce) url.searchParams.set("since", String(resumeFrom));
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (token) headers.authorization = `Bearer ${token}`;
      if (resumeFrom !== undefined && connectedOnce) headers["last-event-id"] = String(resumeFrom);
      let response: Response;
      try {
        response = await fetch(url, { headers, signal: stop.signal });
      } catch {
        if (stop.signal.aborted) break;
        if (!connectedOnce) throw new ServerUnreachableError(baseUrl);
        if (!announcedLoss) process.stderr.write(`cao events: lost the server at ${baseUrl}; reconnecting…\n`);
        announcedLoss = true;
        await sleep(BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]!, stop.signal);
        continue;
      }
      if (!response.ok) {
        const text = await response.text();
        let detail = `HTTP ${response.status}`;
        try {
          detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
        } catch {
          // not JSON: keep the status
        }
        throw new ApiError(response.status, detail);
      }
      if (announcedLoss) process.stderr.write(`cao events: reconnected; resuming after seq ${resumeFrom ?? 0}\n`);
      connectedOnce = true;
      announcedLoss = false;
      failures = 0;
      try {
        for await (const item of readStream(response)) {
          if ("subscribedAt" in item) {
            resumeFrom ??= item.subscribedAt;
            continue;
          }
          if (resumeFrom !== undefined && item.seq <= resumeFrom) continue;
          resumeFrom = item.seq;
          await out(options.print(item));
        }
      } catch {
        if (stop.signal.aborted) break; // else the connection broke: reconnect below
      }
      if (stop.signal.aborted) break;
      if (!announcedLoss) process.stderr.write(`cao events: the stream ended (server restarting?); reconnecting…\n`);
      announcedLoss = true;
      await sleep(BACKOFF_MS[Math.min(failures++, BACKOFF_MS.length - 1)]!, stop.signal);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  return 0;
}

/** Parses a Server-Sent Events body into events and the server's "subscribed at seq N" comment. */
async function* readStream(response: Response): AsyncGenerator<StreamEvent | { subscribedAt: number }> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: number | undefined;
      let data: string | undefined;
      for (const line of block.split("\n")) {
        if (line.startsWith("id: ")) id = Number(line.slice(4));
        else if (line.startsWith("data: ")) data = data === undefined ? line.slice(6) : `${data}\n${line.slice(6)}`;
        else if (line.startsWith(": subscribed at seq "))
          yield { subscribedAt: Number(line.slice(": subscribed at seq ".length)) };
      }
      if (id !== undefined && Number.isInteger(id) && data !== undefined) yield { seq: id, data };
    }
  }
}

/**
 * One readable line: seq, time, type, session, then what happened: for an agent's own report (agent_*), its terminal
 * and a sentence (`Bash: printf 'x-%d' 42`); for the others, the event's own fields as key=value.
 */
function describe(data: string): string {
  const event = JSON.parse(data) as Record<string, unknown>;
  const { seq, timestamp, event_type: type, session_id: session, ...fields } = event;
  const rest = agentLine(String(type), fields) ?? [
    Object.entries(fields)
      .map(
        ([key, value]) =>
          `${key}=${typeof value === "string" && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)}`,
      )
      .join(" "),
  ];
  return [`#${String(seq)}`, String(timestamp), String(type), session ? String(session) : "-", ...rest]
    .filter((part) => part !== "")
    .join(" ");
}

const str = (value: unknown): string => (typeof value === "string" ? value : "");

/** An agent_* event as its terminal and one sentence; undefined for other events. */
function agentLine(type: string, e: Record<string, unknown>): [string, string] | undefined {
  const terminal = str(e.terminal_id) || "-";
  const tool = oneLine(str(e.tool_name), 80);
  switch (type) {
    case "agent_turn_started":
      return [terminal, `prompt: ${oneLine(str(e.prompt))}`];
    case "agent_tool_started": {
      const input = e.tool_input as Record<string, unknown> | null | undefined;
      const summary = toolInputSummary(typeof input === "object" && !Array.isArray(input) ? input : undefined);
      return [terminal, summary ? `${tool}: ${summary}` : tool];
    }
    case "agent_tool_finished": {
      const took = typeof e.duration_ms === "number" ? ` in ${e.duration_ms} ms` : "";
      const output = oneLine(str(e.output), 120);
      return [terminal, `${tool} ${e.ok === true ? "ok" : "failed"}${took}${output ? `: ${output}` : ""}`];
    }
    case "agent_turn_ended": {
      const usage = e.usage as { input_tokens?: unknown; output_tokens?: unknown } | null | undefined;
      const tokens = usage ? ` (tokens: ${String(usage.input_tokens)} in, ${String(usage.output_tokens)} out)` : "";
      const last = oneLine(str(e.last_message));
      return [terminal, `turn ended${tokens}${last ? `: ${last}` : ""}`];
    }
    case "agent_notification":
      return [terminal, `${oneLine(str(e.kind), 40)}: ${oneLine(str(e.message))}`];
    default:
      return undefined;
  }
}

/** Writes one line, waiting when stdout is full (a slow pager) instead of buffering without bound. */
function out(line: string): Promise<void> {
  return new Promise((resolve) => {
    if (process.stdout.write(`${line}\n`)) resolve();
    else process.stdout.once("drain", resolve);
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
