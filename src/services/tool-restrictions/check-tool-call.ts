/**
 * CAO's own check of a tool call an agent's hooks report (docs/tool-restrictions.md): a tool outside the agent's
 * resolved list is denied before any plugin's interceptor is asked, so a CLI whose flags cannot express the list is
 * held to it too. Pure.
 */
import { kindOfTool, type NativeToolNames } from "../../providers/native-tool-names.js";
import { allows, vocabularyName } from "../../providers/tool-vocabulary.js";
import type { RecordedToolAccess } from "./tool-access-file.js";

/** The reason the agent is told, or undefined when the tool may run. */
export function toolCallRefusal(
  names: NativeToolNames,
  access: RecordedToolAccess,
  toolName: string,
): string | undefined {
  const kind = kindOfTool(names, toolName, access.mcpServers);
  if (allows(access.allowed, kind)) return undefined;
  return `denied by CAO tool restrictions: ${toolName} is ${vocabularyName(kind)}, which this agent may not use (${describeAccess(access)})`;
}

/** `role reviewer: @builtin, fs_read, …` — where the list came from, and the list. */
export function describeAccess(access: RecordedToolAccess): string {
  const origin =
    access.source === "requested"
      ? "allowed_tools of its launch"
      : access.source === "profile"
        ? "allowedTools of its profile"
        : access.source === "role"
          ? `role ${access.role}`
          : `no role or allowedTools, so role ${access.role}`;
  return `${origin}: ${access.allowed.join(", ")}`;
}
