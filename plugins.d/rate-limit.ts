/**
 * rate-limit: caps what agents send each other — messages per sender per sliding window, and a total per session
 * (the "spend cap": a runaway supervisor cannot hand out tasks for ever). An interceptor of pre_send_message, so a
 * message over the limit is refused before it reaches the inbox or the receiving agent, and the sender is told why
 * (HTTP 403, or an MCP result with success: false).
 *
 *   plugins:
 *     rate-limit:
 *       config:
 *         perSender: 20        # messages one sender may send per window (default 30)
 *         windowSeconds: 60    # the sliding window (default 60)
 *         perSession: 500      # messages per session while the server runs (default 1000)
 *
 * Counted: messages with a sender (handoff and assign tasks, send_message, input with a sender_id). Input typed by a
 * person (no sender) is not limited. It runs after the other interceptors (priority -100), so a message another
 * plugin refused is not counted. Counts live in memory: a restart or a reload starts them again.
 * Install: copy this file into ~/.cao/plugins/.
 */
import {
  CaoPlugin,
  deny,
  intercept,
  type PluginContext,
  type PreSendMessage,
  type StandardSchemaV1,
} from "cli-agent-orchestrator/plugins";

interface RateLimitSettings {
  perSender: number;
  windowSeconds: number;
  perSession: number;
}

const DEFAULTS: RateLimitSettings = { perSender: 30, windowSeconds: 60, perSession: 1000 };

/** A hand-written Standard Schema: this file is copied alone into ~/.cao/plugins, where no schema library resolves. */
const Settings: StandardSchemaV1<unknown, RateLimitSettings> = {
  "~standard": {
    version: 1,
    vendor: "cao-rate-limit",
    validate(value) {
      if (value === undefined || value === null) return { value: { ...DEFAULTS } };
      if (typeof value !== "object" || Array.isArray(value))
        return { issues: [{ message: "expected a mapping with perSender, windowSeconds, perSession" }] };
      const issues: StandardSchemaV1.Issue[] = [];
      const out = { ...DEFAULTS };
      for (const [key, setting] of Object.entries(value)) {
        if (!(key in DEFAULTS))
          issues.push({ message: "unknown setting (known: perSender, windowSeconds, perSession)", path: [key] });
        else if (!(Number.isInteger(setting) && (setting as number) > 0))
          issues.push({ message: "expected a positive integer", path: [key] });
        else out[key as keyof RateLimitSettings] = setting as number;
      }
      return issues.length > 0 ? { issues } : { value: out };
    },
  },
};

export default class RateLimit extends CaoPlugin<typeof Settings> {
  static configSchema = Settings;
  private settings: RateLimitSettings = { ...DEFAULTS };
  /** Send times (ms) per sender within the window, oldest first. */
  private readonly sent = new Map<string, number[]>();
  private readonly perSession = new Map<string, number>();

  override async setup(context: PluginContext<RateLimitSettings>): Promise<void> {
    this.settings = context.config ?? { ...DEFAULTS };
    const { perSender, windowSeconds, perSession } = this.settings;
    this.logger.info(`rate-limit: ${perSender} messages per sender per ${windowSeconds} s, ${perSession} per session`);
  }

  @intercept("pre_send_message", { priority: -100 })
  check(op: PreSendMessage) {
    if (op.sender === null) return;
    const { perSender, windowSeconds, perSession } = this.settings;
    const sessionCount = this.perSession.get(op.sessionId) ?? 0;
    if (sessionCount >= perSession) return deny(`session ${op.sessionId} reached its cap of ${perSession} messages`);
    const now = Date.now();
    const since = now - windowSeconds * 1000;
    const times = (this.sent.get(op.sender) ?? []).filter((t) => t > since);
    if (times.length >= perSender) {
      this.sent.set(op.sender, times);
      const retry = Math.ceil((times[0]! + windowSeconds * 1000 - now) / 1000);
      return deny(
        `sender ${op.sender} sent ${times.length} messages in the last ${windowSeconds} s (limit ${perSender}); retry in ${retry} s`,
      );
    }
    times.push(now);
    this.sent.set(op.sender, times);
    this.perSession.set(op.sessionId, sessionCount + 1);
  }
}
