/**
 * The JSON shapes of cao-server's HTTP API (docs/contract.md), snake_case as the Python CAO's. The routes answer
 * them, `CaoClient` and the dashboard read them; nothing here imports anything.
 */
import type {
  EventType,
  InboxStatus,
  OrchestrationType,
  PluginIsolation,
  PluginSourceKind,
  PluginStatus,
  TerminalStatus,
} from "./vocabulary.js";

export interface Terminal {
  id: string;
  name: string;
  provider: string;
  session_name: string;
  agent_profile: string;
  status: TerminalStatus;
  last_active: string;
  /** The terminal whose handoff or assign created this one (replies without a receiver go there); null otherwise. */
  caller_id: string | null;
  /** The tool list this terminal's launch asked for (`allowed_tools`, inherited by handoff/assign workers); null for none. */
  allowed_tools: string[] | null;
}

/** A row of `GET /sessions`. */
export interface SessionSummary {
  id: string;
  name: string;
  status: "active";
}

/** `GET /sessions/:session_name`. */
export interface SessionDetail {
  session: SessionSummary;
  terminals: Terminal[];
}

/** A row of `GET /agents/providers`. */
export interface ProviderInfo {
  name: string;
  binary: string;
  installed: boolean;
}

/** A row of `GET /agents/profiles`. */
export interface ProfileSummary {
  name: string;
  description: string;
  provider: string | null;
  /** The directory kind it was found in first: `local`, `python`, a provider's label, `custom` or `built-in`. */
  source: string;
  /** That directory. */
  dir: string;
  /** Whether it loads (parses, its `${VAR}` are set); when not, `error` says why. */
  loadable: boolean;
  /** The sources of later directories holding the same name (shadowed by this one). */
  duplicated_in: string[];
  /** Set when the profile's file does not load. */
  error?: string;
}

/** `GET /skills/:name`. */
export interface SkillContent {
  name: string;
  /** SKILL.md without its front matter. */
  content: string;
}

/** `GET /settings/skill-dirs`. */
export interface SkillDirs {
  /** `$CAO_HOME/skills`, where `cao skills add` installs. */
  skills_dir: string;
  /** The Python CAO's skill store, read after ours. */
  python_skills_dir: string;
  /** `skills.extra_dirs` of the settings files. */
  extra_dirs: string[];
}

/** `GET /settings/agent-dirs`. */
export interface AgentDirs {
  /** `agents.dirs` of the settings files: provider → directory. */
  agent_dirs: Record<string, string>;
  /** `agents.extra_dirs` of the settings files (those listed as disabled included). */
  extra_dirs: string[];
  /** `agents.disabled_dirs`: left out of the lookup. */
  disabled_dirs: string[];
  /** Every profile directory in lookup order, with its source label. */
  dirs: { dir: string; source: string }[];
}

/** `GET /agents/profiles/:name`. */
export interface ProfileDetail {
  name: string;
  description: string;
  provider: string | null;
  model: string | null;
  system_prompt: string;
  mcp_servers: Record<string, { command: string; args?: string[]; env?: Record<string, string> }>;
  /** The front matter's `role`, or null. */
  role: string | null;
  /** The tools an agent of this profile gets when its launch names none (`["*"]`: unrestricted). */
  allowed_tools: string[];
}

/** A row of `GET /plugins`. */
export interface PluginRow {
  name: string;
  source: PluginSourceKind;
  version?: string;
  path: string;
  status: PluginStatus;
  isolation: PluginIsolation;
  /** Event types and intercepted points the plugin registered for. */
  hooks: string[];
  error?: string;
}

/** Delivery counts of one plugin's queue. */
export interface PluginStats {
  delivered: number;
  failed: number;
  timedOut: number;
  dropped: number;
  pending: number;
}

/** `GET /plugins/:name`. */
export interface PluginDetails extends PluginRow {
  /** The `config:` section as written (not interpolated); null when config.yaml has none for this plugin. */
  config: unknown;
  /** Delivery counts of an active plugin; null otherwise. */
  stats: PluginStats | null;
}

/** A row of `GET /terminals/:terminal_id/inbox/messages`. */
export interface InboxMessage {
  id: number;
  sender_id: string;
  receiver_id: string;
  message: string;
  status: InboxStatus;
  created_at: string;
}

/** `POST /terminals/:receiver_id/inbox/messages`. */
export interface InboxAccepted {
  success: true;
  message_id: number;
  sender_id: string;
  receiver_id: string;
  created_at: string;
}

/** `POST /terminals/:terminal_id/input` parameters. */
export interface InputParams {
  message: string;
  sender_id?: string;
  orchestration_type?: OrchestrationType;
}

/** One journaled event: its `toJSON()` plus `seq` (`GET /events/history`, `GET /events`). */
export interface EventJson {
  seq: number;
  event_type: EventType;
  timestamp: string;
  session_id: string | null;
  [field: string]: unknown;
}

/** Every error body. */
export interface ErrorBody {
  detail: string;
}
