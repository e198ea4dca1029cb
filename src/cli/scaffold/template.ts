import { EVENT_CLASSES, type CaoEventType } from "../../plugins/api/events.js";

/**
 * The source `cao plugins new` writes: a plugin that hooks every event, with setup, teardown, a config schema and
 * interceptor stubs (pre_send_message, pre_tool_use), commented for someone writing their first plugin. The event
 * list, each handler's parameter type and the fields it shows all come from EVENT_CLASSES, so a new event appears in
 * new scaffolds by itself.
 */

/** When each event is emitted (docs/contract.md#events); an event missing here still gets its handler, without this line. */
const WHEN: Partial<Record<CaoEventType, string>> = {
  session_created: "after a session and its first terminal exist",
  session_killed: "after a session, its terminals and their records are gone",
  terminal_created: "after a terminal is up and recorded",
  terminal_killed: "after a terminal is gone",
  message_sent: "after a message was typed into its receiver (handoff, assign, send_message)",
  terminal_status_changed: "when a terminal's status changes (idle, processing, completed, waiting_user_answer, error)",
  inbox_message_queued: "after a send_message was accepted into its receiver's inbox",
  inbox_message_delivered: "after an inbox message was typed into its receiver",
  inbox_message_failed: "when an inbox message can never be delivered",
  operation_denied: "after an interceptor denied an operation",
  agent_turn_started: "an agent's CLI took a prompt (reported by the CLI's own hooks, where it has them)",
  agent_tool_started: "an agent is about to run a tool, after the pre_tool_use interceptors allowed it",
  agent_tool_finished: "a tool an agent ran finished (ok) or failed; output is at most 4 KB",
  agent_turn_ended: "an agent finished its turn; usage is the turn's tokens, or null",
  agent_notification: "an agent's CLI notified its user (a permission prompt, idle, …)",
  plugin_loaded: "a plugin was loaded",
  plugin_reloaded: "a plugin was reloaded",
  plugin_unloaded: "a plugin was unloaded",
  plugin_failed: "a plugin failed to load",
  flow_run_started: "a scheduled flow's run began (its cron came due, or it was run by hand)",
  flow_run_finished: "a flow's run ended: launched (terminalId), skipped or failed (reason)",
};

/**
 * A commented example in the handler of some events, one line each (TypeScript, JavaScript): uncommented, it
 * type-checks in its template (test/plugins-cli.test.ts checks that).
 */
const EXAMPLE: Partial<Record<CaoEventType, { comment: string; ts: string; js: string }>> = {
  agent_tool_started: {
    comment: "e.g. every shell command an agent runs (toolInput is the CLI's own: Claude Code's Bash has `command`):",
    ts: 'if (event.toolName === "Bash") this.logger.info({ terminalId: event.terminalId }, `ran ${String(event.toolInput.command)}`);',
    js: 'if (event.toolName === "Bash") context.logger.info({ terminalId: event.terminalId }, `ran ${String(event.toolInput.command)}`);',
  },
};

const exampleLines = (type: CaoEventType, language: "ts" | "js", indent: string): string => {
  const example = EXAMPLE[type];
  return example ? `\n${indent}// ${example.comment}\n${indent}// ${example[language]}` : "";
};

/** Fields every event has; the handlers show the others. */
const BASE_FIELDS = new Set(["eventType", "timestamp", "sessionId"]);

interface EventShape {
  type: CaoEventType;
  className: string;
  fields: string[];
}

/** Each event's own fields, read off an instance: the classes assign every field in their constructors. */
export function eventShapes(): EventShape[] {
  return (Object.keys(EVENT_CLASSES) as CaoEventType[]).map((type) => {
    const EventClass = EVENT_CLASSES[type] as unknown as new (fields: object) => object;
    const fields = Object.keys(new EventClass({})).filter((key) => !BASE_FIELDS.has(key));
    return { type, className: EventClass.name, fields };
  });
}

const pascal = (text: string) => text.replace(/(^|[-_.])([a-z0-9])/gi, (_m, _sep, c: string) => c.toUpperCase());

/** A class name for the plugin: `audit-log` → `AuditLog`; one starting with a digit gets a `Plugin` prefix. */
export function className(name: string): string {
  const base = pascal(name).replace(/[^A-Za-z0-9]/g, "");
  return /^[A-Za-z]/.test(base) ? base : `Plugin${base}`;
}

const logFields = (fields: string[], from: string) => `{ ${fields.map((f) => `${f}: ${from}.${f}`).join(", ")} }`;

function header(name: string, file: string): string {
  return `/**
 * ${name}: a CAO plugin. The server loads every file in this folder at start and reloads this one when it changes
 * (\`cao plugins reload ${name}\` does so by hand). \`cao plugins list\` shows whether it loaded, and why not.
 *
 * Type-check this folder: npx tsc --noEmit -p ${file}
 * Settings: the \`plugins.${name}.config\` section of $CAO_HOME/config.yaml (see configSchema below).
 */`;
}

const SETTINGS = `/**
 * The \`config:\` section of this plugin in $CAO_HOME/config.yaml, checked by this schema before setup() runs. Any
 * Standard Schema works (zod, valibot, arktype); an invalid section marks the plugin failed, naming the field.
 * \`.prefault({})\`: with no section at all the plugin gets the defaults.
 *
 *   plugins:
 *     NAME:
 *       config:
 *         greeting: hi
 *         ignoredAgents: [reviewer]
 */
const Settings = z
  .object({
    greeting: z.string().default("hello"),
    ignoredAgents: z.array(z.string()).default([]),
  })
  .prefault({});`;

export function typescriptTemplate(name: string, pluginsDir: string): string {
  const shapes = eventShapes();
  const Name = className(name);
  const handlers = shapes
    .map(
      ({ type, className: eventClass, fields }) => `
  /** ${type}${WHEN[type] ? `: ${WHEN[type]}` : ""}. Fields: ${fields.join(", ")} (and eventType, timestamp, sessionId). */
  @hook("${type}")
  async on${pascal(type)}(event: ${eventClass}) {
    this.logger.info(${logFields(fields, "event")}, \`\${this.config.greeting}: \${event.eventType} in \${event.sessionId}\`);${exampleLines(type, "ts", "    ")}
  }`,
    )
    .join("\n");
  return `${header(name, pluginsDir)}
import { z } from "zod";
import {
  CaoPlugin,
  hook,
  type PluginContext,
${shapes.map((s) => `  type ${s.className},`).join("\n")}
} from "cli-agent-orchestrator/plugins";

${SETTINGS.replace("NAME", name)}

export default class ${Name} extends CaoPlugin<typeof Settings> {
  /** What the registry validates the config with; the type argument above gives \`this.config\` its type. */
  static configSchema = Settings;

  /**
   * Runs once before the server accepts requests, and again after every reload; the server waits for it (bounded).
   * Open connections, create files here. \`this.config\` is already validated.
   */
  async setup(context: PluginContext<z.output<typeof Settings>>) {
    this.logger.info({ config: this.config, caoHome: context.caoHome }, "${name} ready");
  }

  /** Runs at shutdown and before a reload swaps this instance out: close what setup() opened. */
  async teardown() {
    this.logger.info("${name} stopped");
  }

  // One handler per event. Handlers run after the operation succeeded and cannot fail it; a handler that throws or
  // takes too long is logged as a WARN. Delete the ones you do not need.
${handlers}

  // An interceptor runs *before* an operation and may veto or change it (docs/contract.md#interception-points; README "Interceptors"). They are
  // left commented so a new plugin changes nothing: add \`intercept, deny, modify, type PreSendMessage, type PreToolUse\`
  // to the import above and uncomment:
  //
  // @intercept("pre_send_message", { priority: 10 })
  // async check(op: PreSendMessage) {
  //   if (op.message.includes("rm -rf /")) return deny("destructive command");
  //   return modify({ message: op.message.replaceAll(/AKIA[0-9A-Z]{16}/g, "[redacted]") });
  //   // returning nothing (or allow()) lets the operation through unchanged
  // }
  //
  // // Before an agent runs a tool (a shell command, a file edit, an MCP call), asked by its CLI's own hooks. A deny stops
  // // the tool and the agent is told why; a modify changes the input the tool runs with (toolInput is the CLI's own).
  // @intercept("pre_tool_use")
  // async checkTool(op: PreToolUse) {
  //   const command = typeof op.toolInput.command === "string" ? op.toolInput.command : "";
  //   if (/\\bgit push\\b.*--force/.test(command)) return deny("no force pushes");
  //   if (command.startsWith("npm install")) return modify({ toolInput: { ...op.toolInput, command: \`\${command} --ignore-scripts\` } });
  // }
}
`;
}

export function javascriptTemplate(name: string, pluginsDir: string): string {
  const shapes = eventShapes();
  const handlers = shapes
    .map(
      ({ type, fields }) => `
    /** ${type}${WHEN[type] ? `: ${WHEN[type]}` : ""}. Fields: ${fields.join(", ")} (and eventType, timestamp, sessionId). */
    async ${type}(event, context) {
      context.logger.info(${logFields(fields, "event")}, \`\${context.config.greeting}: \${event.eventType} in \${event.sessionId}\`);${exampleLines(type, "js", "      ")}
    },`,
    )
    .join("\n");
  return `// @ts-check — the tsconfig.json beside this file type-checks plain JavaScript too.
${header(name, pluginsDir)}
import { z } from "zod";
import { definePlugin } from "cli-agent-orchestrator/plugins";

${SETTINGS.replace("NAME", name)}

export default definePlugin({
  /** What the registry validates the config with; \`context.config\` is typed from it. */
  config: Settings,

  /**
   * Runs once before the server accepts requests, and again after every reload; the server waits for it (bounded).
   * Open connections, create files here. \`context.config\` is already validated.
   */
  async setup(context) {
    context.logger.info({ config: context.config, caoHome: context.caoHome }, "${name} ready");
  },

  /** Runs at shutdown and before a reload swaps this plugin out: close what setup() opened. */
  async teardown() {},

  // One handler per event. Handlers run after the operation succeeded and cannot fail it; a handler that throws or
  // takes too long is logged as a WARN. Delete the ones you do not need.
  hooks: {${handlers}
  },

  // An interceptor runs *before* an operation and may veto or change it (docs/contract.md#interception-points; README "Interceptors"). They are
  // left commented so a new plugin changes nothing: add \`deny, modify\` to the import above and uncomment:
  //
  // intercepts: {
  //   async pre_send_message(op) {
  //     if (op.message.includes("rm -rf /")) return deny("destructive command");
  //     return modify({ message: op.message.replaceAll(/AKIA[0-9A-Z]{16}/g, "[redacted]") });
  //   },
  //   // Before an agent runs a tool, asked by its CLI's own hooks: deny stops it, modify changes its input.
  //   async pre_tool_use(op) {
  //     const command = typeof op.toolInput.command === "string" ? op.toolInput.command : "";
  //     if (/\\bgit push\\b.*--force/.test(command)) return deny("no force pushes");
  //     if (command.startsWith("npm install")) return modify({ toolInput: { ...op.toolInput, command: \`\${command} --ignore-scripts\` } });
  //   },
  // },
});
`;
}
