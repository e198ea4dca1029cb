import fs from "node:fs";

/**
 * Plugins in a worker thread cannot push into the test's globals, so they record to a real file: one JSON line per
 * handler call, appended synchronously (a line is there as soon as the handler returned). Inline plugins can use the
 * same recorder, so one test reads both kinds alike.
 */
export interface FileRecord {
  plugin: string;
  handler: string;
  eventType: string;
  /** The event's class name, and whether it is an instance of the CaoEvent and event class the plugin imported. */
  className: string;
  isCaoEvent: boolean;
  isOwnClass: boolean;
  frozen: boolean;
  timestampIsDate: boolean;
  /** 0 in the server's main thread, else the worker's threadId. */
  threadId: number;
  version: number;
  fields: Record<string, unknown>;
}

export interface RecorderOptions {
  /** Written as `static isolation = …` on the class (the plugin declaring its own isolation). */
  isolation?: "inline" | "worker";
  version?: number;
  /** Extra class members (other hooks, setup, teardown). */
  body?: string;
  /** Extra module-level code before the class. */
  preamble?: string;
}

/** Source of a class-style .ts drop-in that appends a FileRecord to `file` for every V1 event. */
export function fileRecorderSource(file: string, name: string, options: RecorderOptions = {}): string {
  return `
import fs from "node:fs";
import { threadId } from "node:worker_threads";
import { CaoPlugin, CaoEvent, EVENT_CLASSES, hook } from "cli-agent-orchestrator/plugins";
const FILE = ${JSON.stringify(file)};
function record(plugin: string, handler: string, event: any, version: number) {
  const own = (EVENT_CLASSES as any)[event.eventType];
  const line = {
    plugin, handler, eventType: event.eventType, className: event.constructor?.name,
    isCaoEvent: event instanceof CaoEvent, isOwnClass: own !== undefined && event instanceof own,
    frozen: Object.isFrozen(event), timestampIsDate: event.timestamp instanceof Date,
    threadId, version, fields: typeof event.toJSON === "function" ? event.toJSON() : { ...event },
  };
  fs.appendFileSync(FILE, JSON.stringify(line) + "\\n");
}
${options.preamble ?? ""}
export default class Recorder extends CaoPlugin {
  ${options.isolation ? `static isolation = ${JSON.stringify(options.isolation)};` : ""}
  @hook("session_created")
  @hook("session_killed")
  @hook("terminal_created")
  @hook("terminal_killed")
  @hook("message_sent")
  record(event: CaoEvent) {
    record(${JSON.stringify(name)}, "record", event, ${options.version ?? 1});
  }
  ${options.body ?? ""}
}
`;
}

/** The records appended to `file` so far ([] while it does not exist). */
export function readRecords(file: string): FileRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FileRecord);
}
