/**
 * Drop-in interceptor plugins for the interceptor tests. They run inside the test process (loaded by the real registry
 * through jiti) and report what they saw through sink(key).
 */
import { pluginFixture, pluginFixtureAsJs } from "./plugin-fixtures.js";

const sinkOf = (key: string) => `((globalThis as any).__caoTestSinks ??= {})[${JSON.stringify(key)}] ??= []`;

/** Class-style guard: denies destructive input, redacts AWS keys, polices sessions and terminals. */
export function guardSource(key: string, movedDir: string): string {
  return `
import { CaoPlugin, deny, intercept, modify, type PreCreateSession, type PreCreateTerminal, type PreSendMessage } from "cli-agent-orchestrator/plugins";
const seen = ${sinkOf(key)};
export default class Guard extends CaoPlugin {
  @intercept("pre_send_message", { priority: 5 })
  async check(op: PreSendMessage) {
    seen.push({ plugin: "guard", op: { ...op } });
    if (op.message.includes("rm -rf /")) return deny("destructive command");
    if (/AKIA[0-9A-Z]{16}/.test(op.message)) return modify({ message: op.message.replaceAll(/AKIA[0-9A-Z]{16}/g, "[redacted]") });
  }
  @intercept("pre_create_session")
  session(op: PreCreateSession) {
    seen.push({ plugin: "guard", op: { ...op } });
    if (op.sessionName.includes("forbidden")) return deny("no forbidden sessions");
    if (op.sessionName === "cao-moved") return modify({ workingDirectory: ${JSON.stringify(movedDir)} });
  }
  @intercept("pre_create_terminal")
  terminal(op: PreCreateTerminal) {
    seen.push({ plugin: "guard", op: { ...op } });
    if (op.agentProfile === "reviewer") return deny("no reviewers here");
  }
}
`;
}

/** definePlugin-style: appends "|<tag>" to messages containing TAG-ME, at the given priority. */
export function taggerSource(tag: string, priority: number): string {
  return `
export default {
  intercepts: {
    pre_send_message: {
      priority: ${priority},
      intercept: (op) => (op.message.includes("TAG-ME") ? { decision: "modify", patch: { message: op.message + "|${tag}" } } : undefined),
    },
  },
};
`;
}

/** Misbehaves on cue; none of it may stop the operation (fail-open). */
export const FAULTY_SOURCE = pluginFixture("faulty-interceptor.ts");

/** failClosed: when its backend is "down" (message contains STRICT), the operation is denied. Plain JS, for .mjs. */
export const STRICT_SOURCE = pluginFixtureAsJs("fail-closed-interceptor.ts");

/** Observes operation_denied, and message_sent under its Python CAO name (post_send_message). */
export function observerSource(key: string): string {
  return `
import { CaoPlugin, hook, type MessageSentEvent, type OperationDeniedEvent } from "cli-agent-orchestrator/plugins";
const out = ${sinkOf(key)};
export default class Observer extends CaoPlugin {
  @hook("operation_denied")
  denied(event: OperationDeniedEvent) { out.push({ type: event.eventType, json: event.toJSON() }); }
  @hook("post_send_message")
  sent(event: MessageSentEvent) { out.push({ type: event.eventType, json: event.toJSON() }); }
}
`;
}
