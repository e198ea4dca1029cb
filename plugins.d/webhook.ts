/**
 * webhook: agent messages and session/terminal lifecycle, posted to a Slack or Discord incoming webhook.
 *
 * Settings, in $CAO_HOME/config.yaml (docs/contract.md#configyaml):
 *
 *   plugins:
 *     webhook:
 *       config:
 *         url: ${CAO_WEBHOOK_URL}   # required
 *         format: slack             # slack | discord (default: discord for discord.com / discordapp.com URLs, else slack)
 *         retries: 5                # attempts per message after the first (default 5)
 *         events: [message_sent]    # which events to post (default: all five)
 *
 * Without a `config:` section the plugin reads the environment as before: CAO_WEBHOOK_URL (without it the plugin
 * stays idle and says so once), CAO_WEBHOOK_FORMAT, CAO_WEBHOOK_RETRIES.
 *
 * Never blocks anything: handlers only enqueue; one background loop posts in order. Failures are retried with
 * exponential backoff (0.5 s doubling, capped at 30 s); HTTP 429 waits as long as `Retry-After` (or Discord's
 * `retry_after`) asks. 4xx other than 429 is not retried. At most 1,000 posts wait; beyond that the oldest is dropped.
 * Install: copy this file into ~/.cao/plugins/ and set CAO_WEBHOOK_URL for the server (or write the section above).
 */
import {
  CaoPlugin,
  EVENT_TYPES,
  hook,
  type CaoEventType,
  type MessageSentEvent,
  type PluginContext,
  type SessionCreatedEvent,
  type StandardSchemaV1,
  type SessionKilledEvent,
  type TerminalCreatedEvent,
  type TerminalKilledEvent,
} from "cli-agent-orchestrator/plugins";

const MAX_QUEUED = 1000;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;
const FLUSH_ON_TEARDOWN_MS = 4_000;
const REQUEST_TIMEOUT_MS = 10_000;

interface WebhookSettings {
  url: string;
  format?: "slack" | "discord";
  retries?: number;
  events?: CaoEventType[];
}

/**
 * The schema of the `config:` section, as a hand-written Standard Schema: this file is copied alone into
 * ~/.cao/plugins, where no validation library can be imported (zod or valibot work the same way in a package).
 * No section at all is valid (undefined): the environment variables apply then.
 */
const Settings: StandardSchemaV1<unknown, WebhookSettings | undefined> = {
  "~standard": {
    version: 1,
    vendor: "cao-webhook",
    validate(value) {
      if (value === undefined || value === null) return { value: undefined };
      if (typeof value !== "object" || Array.isArray(value))
        return { issues: [{ message: "expected a mapping with url, format, retries, events" }] };
      const { url, format, retries, events, ...rest } = value as Record<string, unknown>;
      const issues: StandardSchemaV1.Issue[] = Object.keys(rest).map((key) => ({
        message: "unknown setting (known: url, format, retries, events)",
        path: [key],
      }));
      if (typeof url !== "string" || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
        issues.push({ message: "expected an http(s) URL", path: ["url"] });
      if (format !== undefined && format !== "slack" && format !== "discord")
        issues.push({ message: 'expected "slack" or "discord"', path: ["format"] });
      if (retries !== undefined && !(Number.isInteger(retries) && (retries as number) >= 0))
        issues.push({ message: "expected an integer >= 0", path: ["retries"] });
      if (events !== undefined) {
        if (!Array.isArray(events))
          issues.push({ message: `expected a list of event types (${EVENT_TYPES.join(", ")})`, path: ["events"] });
        else
          events.forEach(
            (type, i) =>
              (EVENT_TYPES as readonly unknown[]).includes(type) ||
              issues.push({ message: `unknown event type (known: ${EVENT_TYPES.join(", ")})`, path: ["events", i] }),
          );
      }
      return issues.length > 0 ? { issues } : { value: value as WebhookSettings };
    },
  },
};

export default class Webhook extends CaoPlugin<typeof Settings> {
  static configSchema = Settings;
  private url: string | undefined;
  private format: "slack" | "discord" = "slack";
  private retries = 5;
  private events: ReadonlySet<string> = new Set(EVENT_TYPES);
  private readonly outbox: string[] = [];
  private sending: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  /** Counters, for tests and for a curious operator. */
  readonly stats = { sent: 0, retried: 0, dropped: 0, failed: 0 };

  override async setup(context: PluginContext<WebhookSettings | undefined>): Promise<void> {
    const settings = this.config;
    let format: string | undefined;
    if (settings) {
      this.url = settings.url;
      format = settings.format;
      if (settings.retries !== undefined) this.retries = settings.retries;
      if (settings.events) this.events = new Set(settings.events);
    } else {
      // No `config:` section in config.yaml: the environment variables of earlier versions.
      this.url = context.env.CAO_WEBHOOK_URL || undefined;
      format = context.env.CAO_WEBHOOK_FORMAT;
      const retries = Number(context.env.CAO_WEBHOOK_RETRIES);
      if (context.env.CAO_WEBHOOK_RETRIES !== undefined && Number.isInteger(retries) && retries >= 0)
        this.retries = retries;
    }
    this.format =
      format === "discord" || format === "slack"
        ? format
        : /discord(app)?\.com\//.test(this.url ?? "")
          ? "discord"
          : "slack";
    if (!this.url) this.logger.info("webhook: CAO_WEBHOOK_URL is not set; nothing will be posted");
    else this.logger.info(`webhook: posting ${this.format} messages to ${new URL(this.url).host}`);
  }

  @hook("message_sent")
  async message(event: MessageSentEvent): Promise<void> {
    if (!this.events.has(event.eventType)) return;
    const preview = event.message.length > 500 ? `${event.message.slice(0, 500)}…` : event.message;
    this.enqueue(
      `💬 ${event.sender} → ${event.receiver} (${event.orchestrationType}, ${event.sessionId ?? "no session"})\n${preview}`,
    );
  }

  @hook("session_created")
  @hook("session_killed")
  async session(event: SessionCreatedEvent | SessionKilledEvent): Promise<void> {
    if (!this.events.has(event.eventType)) return;
    this.enqueue(
      `${event.eventType === "session_created" ? "🟢 session started" : "🔴 session ended"}: ${event.sessionName}`,
    );
  }

  @hook("terminal_created")
  @hook("terminal_killed")
  async terminal(event: TerminalCreatedEvent | TerminalKilledEvent): Promise<void> {
    if (!this.events.has(event.eventType)) return;
    const what =
      event.eventType === "terminal_created"
        ? `➕ ${event.agentName} started (${(event as TerminalCreatedEvent).provider})`
        : `➖ ${event.agentName} closed`;
    this.enqueue(`${what}: terminal ${event.terminalId} in ${event.sessionId}`);
  }

  override async teardown(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    const flushed = await Promise.race([
      this.sending?.then(() => true) ?? true,
      sleep(FLUSH_ON_TEARDOWN_MS).then(() => false),
    ]);
    if (!flushed || this.outbox.length > 0)
      this.logger.warn(`webhook: ${this.outbox.length} posts not sent before shutdown`);
  }

  private enqueue(text: string): void {
    if (!this.url || this.stopping) return;
    if (this.outbox.length >= MAX_QUEUED) {
      this.outbox.shift();
      this.stats.dropped++;
    }
    this.outbox.push(text);
    this.sending ??= this.drain().finally(() => (this.sending = undefined));
  }

  private async drain(): Promise<void> {
    while (this.outbox.length > 0) {
      await this.post(this.outbox[0]!);
      this.outbox.shift();
    }
  }

  /** One message, with bounded retries; resolves when it is sent or given up on. */
  private async post(text: string): Promise<void> {
    const body = JSON.stringify(this.format === "discord" ? { content: text.slice(0, 2000) } : { text });
    for (let attempt = 0; ; attempt++) {
      let wait: number;
      try {
        const response = await fetch(this.url!, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        if (response.ok) {
          await response.arrayBuffer();
          this.stats.sent++;
          return;
        }
        const retryAfter = await retryAfterMs(response);
        if (response.status !== 429 && response.status < 500) {
          this.stats.failed++;
          this.logger.warn(`webhook: HTTP ${response.status} is not retryable; message dropped`);
          return;
        }
        wait = retryAfter ?? backoff(attempt);
      } catch (error) {
        wait = backoff(attempt);
        this.logger.debug({ err: error }, "webhook: request failed");
      }
      if (attempt >= this.retries || this.stopping) {
        this.stats.failed++;
        this.logger.warn(`webhook: giving up on a message after ${attempt + 1} attempts`);
        return;
      }
      this.stats.retried++;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, wait).unref();
      });
    }
  }
}

function backoff(attempt: number): number {
  return Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
}

/** `Retry-After` in seconds (or an HTTP date), else Discord's JSON `retry_after` (seconds), else undefined. */
async function retryAfterMs(response: Response): Promise<number | undefined> {
  const header = response.headers.get("retry-after");
  let text = "";
  try {
    text = await response.text();
  } catch {
    // body unreadable; headers are enough
  }
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.min(MAX_DELAY_MS, Math.max(0, seconds * 1000));
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.min(MAX_DELAY_MS, Math.max(0, date - Date.now()));
  }
  try {
    const seconds = (JSON.parse(text) as { retry_after?: number }).retry_after;
    if (typeof seconds === "number") return Math.min(MAX_DELAY_MS, seconds * 1000);
  } catch {
    // not JSON
  }
  return undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
