/**
 * Drop-in plugins written by tests run inside the test process (loaded by the real registry through jiti), so they
 * report what they receive through a global array named by the test. `recorderSource` writes such a plugin.
 */
export interface Received {
  plugin: string;
  handler: string;
  eventType: string;
  seq?: number;
  version?: number;
  fields: Record<string, unknown>;
}

type Sinks = Record<string, unknown[]>;

/** The global array a test's plugins push into; `T` is what those plugins push (Received for recorderSource). */
export function sink<T = Received>(key: string): T[] {
  const g = globalThis as { __caoTestSinks?: Sinks };
  g.__caoTestSinks ??= {};
  g.__caoTestSinks[key] ??= [];
  return g.__caoTestSinks[key] as T[];
}

/** Source of a class-style .ts drop-in recording every V1 event into sink(key); `version` tags hot reloads. */
export function recorderSource(key: string, name: string, version = 1, extraBody = ""): string {
  return `
import { CaoPlugin, hook, type CaoEvent } from "cli-agent-orchestrator/plugins";

const out = ((globalThis as any).__caoTestSinks ??= {})[${JSON.stringify(key)}] ??= [];

export default class Recorder extends CaoPlugin {
  @hook("session_created")
  @hook("session_killed")
  @hook("terminal_created")
  @hook("terminal_killed")
  @hook("message_sent")
  async record(event: CaoEvent) {
    const fields = { ...event } as Record<string, unknown>;
    out.push({ plugin: ${JSON.stringify(name)}, handler: "record", eventType: event.eventType, seq: fields.seq ?? (fields as any).message, version: ${version}, fields });
  }
${extraBody}
}
`;
}
