import type { Logger } from "pino";
import type { CaoDatabase, TerminalRecord } from "../../clients/database.js";
import type { TmuxClient } from "../../clients/tmux.js";
import type { OrchestrationType } from "../../contract/vocabulary.js";
import type { PreSendMessage } from "../../plugins/api/points.js";
import type { ProviderRegistry } from "../../providers/index.js";
import type { Provider } from "../../providers/provider.js";
import { admit, type OperationGate } from "../operation-gate.js";
import type { Panes } from "./panes.js";
import { prepareText } from "./text.js";
import { TERMINAL_KEY, TERMINAL_KEY_RULE } from "../../util/tmux-key.js";
import { ValidationError } from "../../util/validate.js";

/** Checks after a paste whether the agent took its Enter (Provider.unsubmittedInput), and how long apart. */
const SUBMIT_CHECKS = 5;
const SUBMIT_CHECK_MS = 400;

/**
 * pre_send_message, the one gate every message passes (direct input, handoff and assign tasks, inbox messages at
 * acceptance): the text as the interceptors left it, prepared again when they changed it.
 */
export async function admitMessage(gate: OperationGate, op: Omit<PreSendMessage, "point">): Promise<string> {
  if (!gate.intercepts("pre_send_message")) return op.message;
  const admitted = await admit<"pre_send_message">(gate, { point: "pre_send_message", ...op });
  return admitted.message === op.message ? op.message : prepareText(admitted.message, "a plugin's change left");
}

export interface InputDeps {
  tmux: TmuxClient;
  db: CaoDatabase;
  providers: ProviderRegistry;
  gate: OperationGate;
  logger: Logger;
  panes: Panes;
}

/** Typing into agents: direct input, the inbox's staged (crash-safe) typing, and the exit command. */
export class TerminalInput {
  constructor(private readonly deps: InputDeps) {}

  /** Types `text` (prepared) into `record`'s agent after pre_send_message; returns the text typed. */
  async type(
    record: TerminalRecord,
    text: string,
    from: { sender: string | null; orchestrationType: OrchestrationType | null },
  ): Promise<string> {
    const typed = await admitMessage(this.deps.gate, {
      sessionId: record.session_name,
      receiver: record.id,
      message: text,
      ...from,
    });
    const provider = this.deps.providers.get(record.provider);
    // Recorded before typing: if storage refuses (503), nothing has been typed and the request changed nothing.
    this.deps.db.touchTerminal(record.id, new Date().toISOString());
    const refused = await this.deps.panes.call(record, () =>
      this.deps.tmux.pasteText(
        record.session_name,
        record.window_name,
        typed,
        provider.pasteEnterCount,
        provider.submitDelayMs,
      ),
    );
    if (refused) throw this.deps.panes.refusal(record, refused, "takes no input");
    await this.confirmSubmitted(record, provider);
    return typed;
  }

  /**
   * Types `text` in two tmux steps with a record in between, for the inbox's crash-safe delivery: the text is staged in
   * the named buffer, `beforePaste` runs (it records that typing begins; if it throws, nothing is typed), then one tmux
   * command pastes and deletes the buffer.
   */
  async typeStaged(
    record: TerminalRecord,
    text: string,
    options: { buffer: string; beforePaste: () => void },
  ): Promise<void> {
    const { tmux, panes } = this.deps;
    const provider = this.deps.providers.get(record.provider);
    await panes.call(record, () => tmux.loadBuffer(record.session_name, options.buffer, text));
    options.beforePaste();
    const refused = await panes.call(record, () =>
      tmux.pasteBuffer(
        record.session_name,
        record.window_name,
        options.buffer,
        provider.pasteEnterCount,
        provider.submitDelayMs,
      ),
    );
    if (refused) throw panes.refusal(record, refused, "takes no input");
    await this.confirmSubmitted(record, provider);
    this.touch(record.id);
  }

  /**
   * Presses one tmux key (docs/contract.md#routes, `POST /terminals/:id/key`): no paste, no Enter after it. The key
   * passes pre_send_message as the message (direct input: no sender), so a guard that stops typing stops keys too.
   */
  async key(record: TerminalRecord, key: string): Promise<string> {
    const admitted = this.deps.gate.intercepts("pre_send_message")
      ? (
          await admit<"pre_send_message">(this.deps.gate, {
            point: "pre_send_message",
            sessionId: record.session_name,
            sender: null,
            receiver: record.id,
            message: key,
            orchestrationType: null,
          })
        ).message
      : key;
    if (!TERMINAL_KEY.test(admitted))
      throw new ValidationError(
        `a plugin's change left key ${JSON.stringify(admitted)}, which is not a key name (${TERMINAL_KEY_RULE}); nothing was sent`,
      );
    this.deps.db.touchTerminal(record.id, new Date().toISOString());
    const { tmux, panes } = this.deps;
    const refused = await panes.call(record, () => tmux.sendKeys(record.session_name, record.window_name, [admitted]));
    if (refused) throw panes.refusal(record, refused, "takes no keys");
    return admitted;
  }

  /** Types the provider's exit command (or sends its exit keys). */
  async exit(record: TerminalRecord): Promise<void> {
    const provider = this.deps.providers.get(record.provider);
    const { tmux, panes } = this.deps;
    const refused = await panes.call(record, () =>
      "keys" in provider.exit
        ? tmux.sendKeys(record.session_name, record.window_name, provider.exit.keys)
        : tmux.pasteText(
            record.session_name,
            record.window_name,
            provider.exit.text,
            provider.pasteEnterCount,
            provider.submitDelayMs,
          ),
    );
    if (refused) throw panes.refusal(record, refused, "cannot exit again");
    if (!("keys" in provider.exit)) await this.confirmSubmitted(record, provider);
  }

  /**
   * Presses Enter again while the agent still shows the pasted text in its input: TUIs that guard against pastes
   * in terminals without bracketed paste take an Enter that reaches them together with the paste (their event loop
   * was busy, so both arrived in one read) as a newline in it. A later Enter submits it. Best effort: an agent that
   * exits or vanishes meanwhile is left to the status monitor.
   */
  private async confirmSubmitted(record: TerminalRecord, provider: Provider): Promise<void> {
    if (!provider.unsubmittedInput) return;
    for (let check = 0; check < SUBMIT_CHECKS; check++) {
      await new Promise((resolve) => setTimeout(resolve, SUBMIT_CHECK_MS));
      const probe = await this.deps.panes.probe(record).catch(() => undefined);
      if (!probe || probe.pane.dead || !provider.unsubmittedInput(probe.screen)) return;
      this.deps.logger.debug(
        { terminal: record.id },
        `terminal ${record.id}: ${provider.name} kept the pasted text in its input; pressing Enter again`,
      );
      if (await this.deps.tmux.sendKeys(record.session_name, record.window_name, ["Enter"]).catch(() => "gone")) return;
    }
  }

  /** last_active after typing, best effort: the text is typed, so a storage fault here must not turn into an error. */
  private touch(id: string): void {
    try {
      this.deps.db.touchTerminal(id, new Date().toISOString());
    } catch (error) {
      this.deps.logger.warn(
        { err: error, terminal: id },
        `could not record activity of terminal ${id}: ${(error as Error).message}`,
      );
    }
  }
}
