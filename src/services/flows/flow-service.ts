import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import type { CaoDatabase, FlowRecord } from "../../clients/database.js";
import type { Flow, FlowRunOutcome, FlowRunTrigger } from "../../contract/index.js";
import { FlowRunFinishedEvent, FlowRunStartedEvent } from "../../plugins/api/events.js";
import type { ProfileStore } from "../../profiles/profiles.js";
import type { ProviderRegistry } from "../../providers/index.js";
import { ConflictError, errorMessage, NotFoundError, ValidationError } from "../../util/errors.js";
import type { EventSink } from "../event-sink.js";
import type { SessionService } from "../session-service.js";
import type { TerminalService } from "../terminal-service.js";
import { nextRun, parseCron } from "./cron.js";
import {
  assertFlowName,
  assertPlainName,
  assertSchedule,
  flowFileText,
  parseFlowText,
  readFlowFile,
  renderPrompt,
  type FlowDefinition,
} from "./flow-file.js";
import { runFlowScript, scriptPath, type ScriptVerdict } from "./flow-script.js";

/** The provider of a flow and profile that name none, as the Python CAO defaults (docs/flows.md#providers). */
const FALLBACK_PROVIDER = "kiro_cli";

export interface FlowServiceDeps {
  db: CaoDatabase;
  sessions: SessionService;
  terminals: TerminalService;
  providers: ProviderRegistry;
  profiles: ProfileStore;
  sink: EventSink;
  logger: Logger;
  /** `$CAO_HOME/flows`: where flows given as fields are written. */
  flowsDir: string;
  /** The server's environment: CAO_DEFAULT_PROVIDER. */
  env: Record<string, string | undefined>;
  /** Told whenever a flow's schedule may have changed (added, removed, enabled, disabled). */
  onChange?: () => void;
}

/** The fields of a flow given to `POST /flows` instead of a file. */
export interface FlowFields {
  name: string;
  schedule: string;
  agentProfile: string;
  provider?: string;
  promptTemplate: string;
}

/** The tmux session a flow's runs use: each run replaces the previous run's session (as in the Python CAO). */
export function flowSessionName(flow: string): string {
  return `cao-flow-${flow}`;
}

/**
 * Scheduled flows (docs/flows.md): registering flow files, and running one: its script, its prompt, its session.
 * Every run is journaled as flow_run_started then flow_run_finished.
 */
export class FlowService {
  /** Flows with a run in progress: a second run of the same flow meanwhile is refused (manual) or left out (schedule). */
  private readonly running = new Set<string>();

  constructor(private readonly deps: FlowServiceDeps) {}

  /** Registers the flow file at `file` (an absolute path); the file stays where it is and is read at each run. */
  addFile(file: string): Flow {
    if (typeof file !== "string" || !path.isAbsolute(file))
      throw new ValidationError(`file_path must be an absolute path to a flow file (got ${JSON.stringify(file)})`);
    const definition = readFlowFile(file);
    return this.register(definition, file, () => undefined);
  }

  /** Writes `$CAO_HOME/flows/<name>.flow.md` from the fields, then registers it (the Python CAO's `POST /flows`). */
  addFields(fields: FlowFields): Flow {
    // Checked before the text is made: a value with a line break would otherwise add front-matter fields of its own.
    assertFlowName(fields.name);
    assertSchedule(fields.schedule);
    assertPlainName(fields.agentProfile, "agent_profile");
    if (fields.provider !== undefined) assertPlainName(fields.provider, "provider");
    const file = path.join(this.deps.flowsDir, `${fields.name}.flow.md`);
    const text = flowFileText(fields);
    // Parsing what would be written checks every field exactly as a flow file's are checked.
    const definition = parseFlowText(text, "the flow");
    return this.register(definition, file, () => {
      fs.mkdirSync(this.deps.flowsDir, { recursive: true });
      fs.writeFileSync(file, text);
    });
  }

  list(): Flow[] {
    return this.deps.db.allFlows().map((record) => this.toFlow(record));
  }

  get(name: string): Flow {
    return this.toFlow(this.record(name));
  }

  remove(name: string): void {
    assertFlowName(name);
    if (!this.deps.db.deleteFlow(name)) throw new NotFoundError(`flow ${name} not found`);
    this.deps.onChange?.();
  }

  /** Enables a flow; its next run is counted from now (runs missed while disabled are not made up). */
  enable(name: string): void {
    const record = this.record(name);
    this.deps.db.setFlowEnabled(name, true, this.nextRunAfter(record.schedule, new Date()) ?? undefined);
    this.deps.onChange?.();
  }

  disable(name: string): void {
    this.record(name);
    this.deps.db.setFlowEnabled(name, false);
    this.deps.onChange?.();
  }

  /** When the soonest enabled flow is due; undefined when none is. */
  soonestRun(): Date | undefined {
    let soonest: number | undefined;
    for (const record of this.deps.db.allFlows()) {
      if (!record.enabled || record.next_run === null) continue;
      const at = Date.parse(record.next_run);
      if (soonest === undefined || at < soonest) soonest = at;
    }
    return soonest === undefined ? undefined : new Date(soonest);
  }

  /** The enabled flows whose next run is at or before `now`. */
  due(now: Date): string[] {
    return this.deps.db
      .allFlows()
      .filter((r) => r.enabled && r.next_run !== null && Date.parse(r.next_run) <= now.getTime())
      .map((r) => r.name);
  }

  /**
   * Runs a due flow for its schedule. Its next run is recorded before anything runs, so a crash or restart during
   * the run never runs the same slot again; a failed run is journaled and the flow stays enabled.
   */
  async runScheduled(name: string, now = new Date()): Promise<void> {
    const record = this.deps.db.getFlow(name);
    if (!record || !record.enabled || record.next_run === null || Date.parse(record.next_run) > now.getTime()) return;
    if (this.running.has(name)) return;
    this.deps.db.setFlowRunTimes(name, now.toISOString(), this.nextRunAfter(record.schedule, now));
    await this.execute(record, "schedule").catch(() => undefined);
  }

  /** `POST /flows/:name/run`: runs the flow now, enabled or not; true when its session was launched. */
  async runNow(name: string): Promise<boolean> {
    const record = this.record(name);
    if (this.running.has(name)) throw new ConflictError(`flow ${name} is already running`);
    return (await this.execute(record, "manual")) === "launched";
  }

  private async execute(record: FlowRecord, trigger: FlowRunTrigger): Promise<FlowRunOutcome> {
    const { name } = record;
    this.running.add(name);
    this.deps.sink.dispatch(new FlowRunStartedEvent({ flowName: name, trigger }));
    const finish = (outcome: FlowRunOutcome, extra: { terminalId?: string; reason?: string } = {}) => {
      this.deps.sink.dispatch(
        new FlowRunFinishedEvent({
          flowName: name,
          trigger,
          outcome,
          ...(outcome === "launched" ? { sessionId: flowSessionName(name) } : {}),
          ...extra,
        }),
      );
      return outcome;
    };
    try {
      const template = readFlowFile(record.file_path).promptTemplate;
      const verdict = await this.runScript(record);
      if (trigger === "manual") {
        const now = new Date();
        this.deps.db.setFlowRunTimes(name, now.toISOString(), this.nextRunAfter(record.schedule, now));
      }
      if (!verdict.execute) return finish("skipped", { reason: "the script answered execute: false" });
      const prompt = renderPrompt(template, verdict.output);
      const launched = await this.launch(record, prompt);
      if ("busy" in launched)
        return finish("skipped", { reason: `the previous run's agent (${launched.busy}) is still processing` });
      this.deps.logger.info(`flow ${name}: launched ${flowSessionName(name)} (terminal ${launched.terminalId})`);
      return finish("launched", { terminalId: launched.terminalId });
    } catch (error) {
      this.deps.logger.warn(`flow ${name} failed: ${errorMessage(error)}`);
      finish("failed", { reason: errorMessage(error) });
      throw error;
    } finally {
      this.running.delete(name);
    }
  }

  private runScript(record: FlowRecord): Promise<ScriptVerdict> {
    if (!record.script) return Promise.resolve({ execute: true, output: {} });
    const file = scriptPath(record.script, record.file_path);
    if (!fs.existsSync(file)) throw new ValidationError(`script not found: ${file}`);
    return runFlowScript(file, path.dirname(record.file_path));
  }

  /** Replaces the previous run's session, unless its first agent is still at work. */
  private async launch(record: FlowRecord, prompt: string): Promise<{ terminalId: string } | { busy: string }> {
    const { sessions, terminals, profiles } = this.deps;
    const sessionName = flowSessionName(record.name);
    const previous = await sessions.get(sessionName).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (previous) {
      const first = previous.terminals[0];
      if (first?.status === "processing") return { busy: first.id };
      await sessions.delete(sessionName);
    }
    const provider = record.provider ?? profiles.load(record.agent_profile).provider ?? this.defaultProvider();
    const terminal = await sessions.create({ provider, agentProfile: record.agent_profile, sessionName });
    await terminals.sendInput(terminal.id, prompt);
    return { terminalId: terminal.id };
  }

  private defaultProvider(): string {
    return this.deps.env.CAO_DEFAULT_PROVIDER || FALLBACK_PROVIDER;
  }

  private register(definition: FlowDefinition, file: string, write: () => void): Flow {
    const { db, providers, profiles } = this.deps;
    if (db.getFlow(definition.name))
      throw new ConflictError(`flow ${definition.name} already exists; remove it first to add it again`);
    if (definition.provider !== undefined) {
      try {
        providers.get(definition.provider);
      } catch (error) {
        throw new ValidationError(`provider: ${errorMessage(error)}`);
      }
    }
    try {
      profiles.load(definition.agentProfile);
    } catch (error) {
      throw new ValidationError(`agent_profile: ${errorMessage(error)}`);
    }
    if (definition.promptTemplate === "")
      throw new ValidationError("prompt_template is empty: the flow file's body is the prompt its runs send");
    if (definition.script && !fs.existsSync(scriptPath(definition.script, file)))
      throw new ValidationError(`script not found: ${scriptPath(definition.script, file)}`);
    write();
    db.insertFlow({
      name: definition.name,
      file_path: file,
      schedule: definition.schedule,
      agent_profile: definition.agentProfile,
      provider: definition.provider ?? null,
      script: definition.script,
      next_run: this.nextRunAfter(definition.schedule, new Date()),
    });
    this.deps.logger.info(`flow ${definition.name} added from ${file}`);
    this.deps.onChange?.();
    return this.get(definition.name);
  }

  private nextRunAfter(schedule: string, after: Date): string | null {
    return nextRun(parseCron(schedule), after)?.toISOString() ?? null;
  }

  private record(name: string): FlowRecord {
    assertFlowName(name);
    const record = this.deps.db.getFlow(name);
    if (!record) throw new NotFoundError(`flow ${name} not found`);
    return record;
  }

  private toFlow(record: FlowRecord): Flow {
    let promptTemplate: string | null = null;
    try {
      promptTemplate = readFlowFile(record.file_path).promptTemplate;
    } catch {
      // An edited or deleted file: the flow is still listed; its run reports the problem.
    }
    return {
      name: record.name,
      file_path: record.file_path,
      schedule: record.schedule,
      agent_profile: record.agent_profile,
      provider: record.provider,
      script: record.script,
      last_run: record.last_run,
      next_run: record.next_run,
      enabled: record.enabled === 1,
      prompt_template: promptTemplate,
    };
  }
}
