/** The JSON shapes of the `/flows` routes (docs/contract.md#flows, docs/flows.md). */

/** A registered flow (`GET /flows`, `GET /flows/:name`, `POST /flows`). Times are ISO 8601 UTC, or null. */
export interface Flow {
  name: string;
  /** The flow file the flow was added from (its prompt template is read from it at each run). */
  file_path: string;
  schedule: string;
  agent_profile: string;
  /** null: the profile's provider, else the server's default provider. */
  provider: string | null;
  /** The script run before each run ("" for none), relative to the flow file's directory. */
  script: string;
  last_run: string | null;
  next_run: string | null;
  enabled: boolean;
  /** The flow file's body as it is now; null when the file cannot be read. */
  prompt_template: string | null;
}

/** `POST /flows`: a flow file to add, or the fields of one for the server to write to `$CAO_HOME/flows/<name>.flow.md`. */
export type NewFlowParams =
  | { file_path: string }
  | { name: string; schedule: string; agent_profile: string; provider?: string; prompt_template: string };

/** `POST /flows/:name/run`: whether the flow's session was launched (false: its script or a busy session skipped it). */
export interface FlowRunResult {
  executed: boolean;
}
