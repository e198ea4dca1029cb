/**
 * The source of the opencode plugin CAO writes for one terminal (opencode's hooks are plugins, not commands). It posts
 * to CAO with fetch, in order, one call at a time:
 * - `chat.message` and `tool.execute.before` / `tool.execute.after` as opencode gives them (`{input, output}`, the
 *   output's text cut to 16 KB); before a tool runs it waits for CAO's answer and throws to deny (opencode gives the
 *   model the error's message as the tool's result) or changes `output.args` in place (opencode runs that object);
 * - `tool.execute.error` (`{input, error}`) for a tool it let run that failed, seen in the message events;
 * - `session.idle` (`{sessionID, lastMessage, tokens}`) when a top-level session's turn ended, with the text of its
 *   last answer and each answer's `tokens`, from the message events of that turn;
 * - `permission.asked` (`{permission}`) when opencode asks the user.
 * Sessions that have a parent (subagents) report their tools only. CAO unreachable: the agent goes on, unless the
 * fail-closed marker exists, then a tool call is blocked (what cao-hook does for command hooks).
 */
import type { HookEndpoint } from "../provider.js";

/** The plugin module's text for `endpoint`; the secret stays in the agent's environment. */
export function opencodePluginSource(endpoint: HookEndpoint): string {
  const settings = {
    header: endpoint.tokenHeader,
    tokenVariable: endpoint.tokenVariable,
    timeoutMs: endpoint.timeoutSeconds * 1000,
  };
  return `// Written by CAO for one terminal: reports this opencode to CAO (docs/providers/opencode_cli.md#hooks).
import fs from "node:fs";

const SETTINGS = ${JSON.stringify(settings)};
const MAX_TEXT = 16384;

export const CaoAgentHooks = async () => {
  const url = process.env.CAO_HOOK_URL;
  const token = process.env[SETTINGS.tokenVariable];
  if (!url || !token) return {};
  let queue = Promise.resolve();
  /** One call at a time, in order: CAO reads a turn's calls as they come. */
  const send = (event, body) => {
    const call = queue.then(async () => {
      const response = await fetch(url + "?event=" + event, {
        method: "POST",
        headers: { "content-type": "application/json", [SETTINGS.header]: token },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(SETTINGS.timeoutMs),
      });
      if (!response.ok) throw new Error("CAO answered " + response.status);
      return response.json();
    });
    queue = call.catch(() => undefined);
    return call;
  };
  const tell = (event, body) => send(event, body).catch(() => undefined);
  const cut = (text) => (typeof text === "string" && text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text);

  const children = new Set();
  const allowed = new Set();
  /** sessionID → the turn under way: its user message, and its answers' tokens and text parts. */
  const turns = new Map();

  const onEvent = (event) => {
    const p = event.properties ?? {};
    if (event.type === "session.created" || event.type === "session.updated") {
      if (p.info?.parentID) children.add(p.info.id);
    } else if (event.type === "message.updated") {
      const turn = turns.get(p.info?.sessionID);
      if (turn && p.info.role === "assistant" && p.info.parentID === turn.userMessage) {
        const answer = turn.answers.get(p.info.id) ?? { parts: new Map() };
        answer.tokens = p.info.tokens;
        turn.answers.set(p.info.id, answer);
      }
    } else if (event.type === "message.part.updated") {
      const part = p.part ?? {};
      if (part.type === "text" && !part.synthetic) turns.get(part.sessionID)?.answers.get(part.messageID)?.parts.set(part.id, part.text ?? "");
      if (part.type === "tool" && part.state?.status === "error" && allowed.delete(part.callID))
        tell("tool.execute.error", { input: { tool: part.tool, sessionID: part.sessionID, callID: part.callID }, error: cut(part.state.error) });
    } else if (event.type === "session.idle") {
      const turn = turns.get(p.sessionID);
      if (!turn) return;
      turns.delete(p.sessionID);
      let lastMessage = "";
      for (const answer of turn.answers.values()) {
        const text = [...answer.parts.values()].join("").trim();
        if (text) lastMessage = text;
      }
      tell("session.idle", { sessionID: p.sessionID, lastMessage, tokens: [...turn.answers.values()].map((a) => a.tokens).filter(Boolean) });
    } else if (event.type === "permission.asked") {
      tell("permission.asked", { permission: p });
    }
  };

  return {
    event: async ({ event }) => onEvent(event),
    "chat.message": async (input, output) => {
      if (children.has(input.sessionID)) return;
      turns.set(input.sessionID, { userMessage: output.message?.id, answers: new Map() });
      await tell("chat.message", { input, output });
    },
    "tool.execute.before": async (input, output) => {
      let reply;
      try {
        reply = await send("tool.execute.before", { input, output });
      } catch (error) {
        const marker = process.env.CAO_HOOK_FAIL_CLOSED;
        if (marker && fs.existsSync(marker))
          throw new Error("blocked: CAO cannot check this tool call (" + error.message + ") and a fail-closed pre_tool_use policy is in force");
        allowed.add(input.callID);
        return;
      }
      if (reply?.decision === "deny") throw new Error(reply.reason);
      if (reply?.decision === "modify") {
        for (const key of Object.keys(output.args)) delete output.args[key];
        Object.assign(output.args, reply.args);
      }
      allowed.add(input.callID);
    },
    "tool.execute.after": async (input, output) => {
      allowed.delete(input.callID);
      await tell("tool.execute.after", { input, output: { title: output?.title, output: cut(output?.output), metadata: { exit: output?.metadata?.exit } } });
    },
  };
};
`;
}
