/**
 * The `allowed_tools` a handoff/assign worker is launched with, by the Python CAO's rule (its MCP server's
 * `_resolve_child_allowed_tools`): the worker's own profile decides when it has an opinion; a caller's restriction
 * carries over to a worker whose profile has none. `undefined` means "none requested": the worker's profile (its
 * role, the tool-restriction defaults) decides at launch.
 *
 * @param callerTools the caller's `allowed_tools` (null: it was launched without a list)
 * @param profileTools the worker profile's own tool list, when it names one
 */
export function workerAllowedTools(
  callerTools: readonly string[] | null,
  profileTools: readonly string[] | undefined,
): string[] | undefined {
  // An unrestricted caller (or one without a list) passes nothing on: the worker's profile decides.
  if (callerTools === null || callerTools.includes("*")) return profileTools && [...profileTools];
  // A profile without an opinion inherits the caller's restriction.
  if (profileTools === undefined) return [...callerTools];
  // A profile that asks to be unrestricted is, as in the Python CAO (the caller's restriction is enforced by what it
  // delegates, not by the worker's launch).
  if (profileTools.includes("*")) return undefined;
  return [...profileTools];
}
