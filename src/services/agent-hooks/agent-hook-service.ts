/**
 * The agents' own hooks reporting to CAO (docs/agent-hooks.md, docs/contract.md#agent-hooks): each call is checked
 * against its terminal's secret, read in its CLI's dialect, turned into an agent_* event (and a status, when hooks
 * report one), and a tool call is put through the `pre_tool_use` interceptors, whose decision goes back to the CLI.
 */
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import type { CaoDatabase, TerminalRecord } from "../../clients/database.js";
import type { TerminalStatus } from "../../contract/vocabulary.js";
import {
  AgentNotificationEvent,
  AgentToolFinishedEvent,
  AgentToolStartedEvent,
  AgentTurnEndedEvent,
  AgentTurnStartedEvent,
  OperationDeniedEvent,
} from "../../plugins/api/events.js";
import {
  UNMODIFIABLE_INPUT_REASON,
  type HookCall,
  type HookDialect,
  type ToolDecision,
} from "../../providers/hook-dialect.js";
import type { ProviderRegistry } from "../../providers/index.js";
import { NotFoundError, UnauthorizedError, ValidationError } from "../../util/errors.js";
import type { EventSink } from "../event-sink.js";
import type { OperationGate } from "../operation-gate.js";
import { toolCallRefusal } from "../tool-restrictions/check-tool-call.js";
import type { ToolAccessReader } from "../tool-restrictions/tool-access-file.js";
import type { HookTokens } from "./hook-tokens.js";
import { messageNeedle, TurnTracker } from "./turn-tracker.js";

/** agent_tool_finished carries at most this much of a tool's output. */
export const MAX_TOOL_OUTPUT_BYTES = 4096;

export interface AgentHookDeps {
  db: CaoDatabase;
  providers: ProviderRegistry;
  tokens: HookTokens;
  gate: OperationGate;
  sink: EventSink;
  logger: Logger;
  /** Each terminal's resolved tool access, for CAO's own check of its tool calls (docs/tool-restrictions.md). */
  toolAccess?: ToolAccessReader;
  /** A status the hooks reported (prompt taken, turn ended, permission asked); the status monitor decides. */
  reportStatus?: (terminalId: string, status: TerminalStatus) => void;
}

export interface HookReply {
  /** The body the CLI reads its decision from (`{}` when there is nothing to decide). */
  body: unknown;
}

export class AgentHookService {
  private readonly turns = new TurnTracker();

  constructor(private readonly deps: AgentHookDeps) {}

  /**
   * One hook call. A missing or wrong secret is 401 before anything is read; an unknown terminal 404; a body its CLI's
   * dialect cannot read 400. Nothing is emitted for a refused call.
   */
  async handle(
    terminalId: string,
    token: string | undefined,
    body: unknown,
    event: string | undefined,
  ): Promise<HookReply> {
    if (!this.deps.tokens.verify(terminalId, token))
      throw new UnauthorizedError(
        "missing or wrong hook token: agent hook calls carry their own terminal's X-CAO-Hook-Token",
      );
    const record = this.deps.db.getTerminal(terminalId);
    if (!record) throw new NotFoundError(`terminal ${terminalId} not found`);
    const dialect = this.dialectOf(record);
    if (typeof body !== "object" || body === null || Array.isArray(body))
      throw new ValidationError("the hook call's body must be a JSON object");
    let call: HookCall;
    try {
      call = dialect.read(body as Record<string, unknown>, event);
    } catch (error) {
      throw new ValidationError(`cannot read this ${dialect.name} hook call: ${(error as Error).message}`);
    }
    return { body: await this.apply(record, dialect, call, body as Record<string, unknown>) };
  }

  /** Forget a terminal's turn state (it was removed). */
  forget(terminalId: string): void {
    this.turns.forget(terminalId);
    this.deps.toolAccess?.forget(terminalId);
  }

  private dialectOf(record: TerminalRecord): HookDialect {
    const dialect = this.deps.providers.has(record.provider)
      ? this.deps.providers.get(record.provider).hookDialect
      : undefined;
    if (!dialect) throw new ValidationError(`provider ${record.provider} does not report through hooks`);
    return dialect;
  }

  private async apply(
    record: TerminalRecord,
    dialect: HookDialect,
    call: HookCall,
    body: Record<string, unknown>,
  ): Promise<unknown> {
    const base = {
      sessionId: record.session_name,
      terminalId: record.id,
      agentName: record.agent_profile,
      provider: record.provider,
    };
    const { sink } = this.deps;
    switch (call.kind) {
      case "turn_started":
        this.turns.turnStarted(record.id, transcriptOf(body));
        sink.dispatch(new AgentTurnStartedEvent({ ...base, prompt: call.prompt }));
        this.deps.reportStatus?.(record.id, "processing");
        return {};
      case "tool_started": {
        const refusal = this.refusal(record, call.toolName);
        if (refusal === undefined) return this.toolStarted(base, dialect, call);
        // The same event a plugin's deny makes, with CAO as the one that denied it.
        sink.dispatch(
          new OperationDeniedEvent({
            sessionId: record.session_name,
            point: "pre_tool_use",
            plugin: "cao",
            reason: refusal,
            operation: { ...base, toolName: call.toolName, toolInput: call.toolInput },
          }),
        );
        return dialect.replyToTool({ decision: "deny", reason: refusal });
      }
      case "tool_finished": {
        const measured = this.turns.toolFinished(record.id, call.toolUseId ?? call.toolName);
        sink.dispatch(
          new AgentToolFinishedEvent({
            ...base,
            toolName: call.toolName,
            toolUseId: call.toolUseId,
            ok: call.ok,
            output: truncate(call.output, MAX_TOOL_OUTPUT_BYTES),
            durationMs: call.durationMs ?? measured,
          }),
        );
        return {};
      }
      case "turn_ended":
        this.deps.reportStatus?.(record.id, "completed");
        // The reply does not wait for the usage: the CLI may write its transcript's last entry after this call.
        void this.turnEnded(base, dialect, call).catch((error: unknown) =>
          this.deps.logger.warn({ err: error, terminalId: record.id }, "cannot report the end of an agent's turn"),
        );
        return {};
      case "notification":
        sink.dispatch(new AgentNotificationEvent({ ...base, kind: call.notificationKind, message: call.message }));
        if (call.notificationKind === "permission_prompt") this.deps.reportStatus?.(record.id, "waiting_user_answer");
        return {};
      case "ignored":
        return {};
    }
  }

  /** Why CAO's tool restrictions refuse this call, or undefined (allowed, or a terminal with nothing recorded). */
  private refusal(record: TerminalRecord, toolName: string): string | undefined {
    const names = this.deps.providers.has(record.provider)
      ? this.deps.providers.get(record.provider).toolNames
      : undefined;
    const access = this.deps.toolAccess?.accessOf(record.id);
    return names && access ? toolCallRefusal(names, access, toolName) : undefined;
  }

  private async turnEnded(
    base: { sessionId: string; terminalId: string; agentName: string; provider: string },
    dialect: HookDialect,
    call: Extract<HookCall, { kind: "turn_ended" }>,
  ): Promise<void> {
    let usage = call.usage;
    let lastMessage = call.lastMessage;
    const wantsUsage = !usage && dialect.turnUsage;
    const wantsMessage = !lastMessage && dialect.turnLastMessage;
    if (call.transcriptPath && (wantsUsage || wantsMessage)) {
      const ready = call.transcriptReady ?? messageNeedle(call.lastMessage);
      const part =
        (await this.turns.turnTranscriptWith(base.terminalId, call.transcriptPath, ready, dialect.transcriptWaitMs)) ??
        "";
      if (wantsUsage) usage = dialect.turnUsage!(part, call.turnId);
      if (wantsMessage) lastMessage = dialect.turnLastMessage!(part) ?? "";
    }
    this.deps.sink.dispatch(new AgentTurnEndedEvent({ ...base, lastMessage, usage: usage ?? null }));
  }

  private async toolStarted(
    base: { sessionId: string; terminalId: string; agentName: string; provider: string },
    dialect: HookDialect,
    call: Extract<HookCall, { kind: "tool_started" }>,
  ): Promise<unknown> {
    let decision: ToolDecision = { decision: "allow" };
    let toolInput = call.toolInput;
    const { gate } = this.deps;
    if (gate.intercepts("pre_tool_use")) {
      const verdict = await gate.intercept<"pre_tool_use">({
        point: "pre_tool_use",
        ...base,
        toolName: call.toolName,
        toolInput: Object.freeze({ ...call.toolInput }),
      });
      if (verdict.denied)
        return dialect.replyToTool({
          decision: "deny",
          reason: `denied by plugin ${verdict.plugin}: ${verdict.reason}`,
        });
      // The interceptors see a frozen copy (a worker's a clone of it): only a different input is a change. An unchanged
      // one answered as a modify would also read as an explicit allow, which skips the CLI's own permission check.
      if (!isDeepStrictEqual({ ...verdict.op.toolInput }, call.toolInput)) {
        // A CLI that would run the original input anyway is told no: the tool does not run, so no agent_tool_started.
        if (dialect.runsChangedInput === false) {
          this.deps.logger.info(
            { terminalId: base.terminalId, toolName: call.toolName },
            `a plugin changed a tool's input; ${base.provider} cannot run a changed input, so the tool call is denied`,
          );
          return dialect.replyToTool({ decision: "deny", reason: UNMODIFIABLE_INPUT_REASON });
        }
        toolInput = { ...verdict.op.toolInput };
        decision = { decision: "modify", toolInput };
      }
    }
    this.turns.toolStarted(base.terminalId, call.toolUseId ?? call.toolName);
    this.deps.sink.dispatch(
      new AgentToolStartedEvent({ ...base, toolName: call.toolName, toolInput, toolUseId: call.toolUseId }),
    );
    return dialect.replyToTool(decision);
  }
}

function transcriptOf(body: Record<string, unknown>): string | undefined {
  const value = body.transcript_path ?? body.transcriptPath;
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** At most `max` bytes of UTF-8, cut on a character boundary. */
export function truncate(text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text;
  let cut = Buffer.from(text).subarray(0, max).toString("utf8");
  if (cut.endsWith("\uFFFD")) cut = cut.slice(0, -1);
  return cut;
}
