/**
 * event-log: every CAO event as one JSON line in $CAO_HOME/logs/events.jsonl — a durable, greppable record of
 * what your agents did, and a feed for `tail -f`, jq, or a log shipper.
 *
 * Rotation: when the file would pass `maxBytes` (default 10 MiB) it becomes events.jsonl.1 (older ones shift to
 * .2, .3, …) and a new file starts; `keep` (default 3) rotated files are kept. Settings, in $CAO_HOME/config.yaml:
 *
 *   plugins:
 *     event-log:
 *       config: { maxBytes: 10485760, keep: 3 }
 *
 * Without a `config:` section, CAO_EVENT_LOG_MAX_BYTES and CAO_EVENT_LOG_KEEP are read as before.
 * Install: copy this file into ~/.cao/plugins/.
 */
import fs from "node:fs/promises";
import path from "node:path";
import {
  CaoPlugin,
  hook,
  type CaoEvent,
  type PluginContext,
  type StandardSchemaV1,
} from "cli-agent-orchestrator/plugins";

interface EventLogSettings {
  maxBytes?: number;
  keep?: number;
}

/** A hand-written Standard Schema: this file is copied alone into ~/.cao/plugins, where no schema library resolves. */
const Settings: StandardSchemaV1<unknown, EventLogSettings | undefined> = {
  "~standard": {
    version: 1,
    vendor: "cao-event-log",
    validate(value) {
      if (value === undefined || value === null) return { value: undefined };
      if (typeof value !== "object" || Array.isArray(value))
        return { issues: [{ message: "expected a mapping with maxBytes, keep" }] };
      const issues: StandardSchemaV1.Issue[] = [];
      for (const [key, setting] of Object.entries(value)) {
        if (key !== "maxBytes" && key !== "keep")
          issues.push({ message: "unknown setting (known: maxBytes, keep)", path: [key] });
        else if (!(Number.isInteger(setting) && (setting as number) > 0))
          issues.push({ message: "expected a positive integer", path: [key] });
      }
      return issues.length > 0 ? { issues } : { value: value as EventLogSettings };
    },
  },
};

export default class EventLog extends CaoPlugin<typeof Settings> {
  static configSchema = Settings;
  private file = "";
  private maxBytes = 10 * 1024 * 1024;
  private keep = 3;
  private handle: fs.FileHandle | undefined;
  private size = 0;

  override async setup(context: PluginContext<EventLogSettings | undefined>): Promise<void> {
    this.file = path.join(context.caoHome, "logs", "events.jsonl");
    const settings = this.config;
    // No `config:` section: the environment variables of earlier versions.
    this.maxBytes = settings
      ? (settings.maxBytes ?? this.maxBytes)
      : positive(context.env.CAO_EVENT_LOG_MAX_BYTES, this.maxBytes);
    this.keep = settings ? (settings.keep ?? this.keep) : positive(context.env.CAO_EVENT_LOG_KEEP, this.keep);
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await this.open();
    this.logger.info(`event-log writing to ${this.file} (rotates at ${this.maxBytes} bytes, keeps ${this.keep})`);
  }

  @hook("session_created")
  @hook("session_killed")
  @hook("terminal_created")
  @hook("terminal_killed")
  @hook("message_sent")
  async write(event: CaoEvent): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) await this.rotate();
    await this.handle!.appendFile(line);
    this.size += bytes;
  }

  override async teardown(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  private async open(): Promise<void> {
    this.handle = await fs.open(this.file, "a");
    this.size = (await this.handle.stat()).size;
  }

  /** events.jsonl → .1 → .2 …; the oldest beyond `keep` is removed. */
  private async rotate(): Promise<void> {
    await this.handle?.close();
    await fs.rm(`${this.file}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--)
      await fs.rename(`${this.file}.${i}`, `${this.file}.${i + 1}`).catch(() => undefined);
    await fs.rename(this.file, `${this.file}.1`);
    await this.open();
  }
}

function positive(raw: string | undefined, fallback: number): number {
  const value = Number(raw);
  return raw !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}
