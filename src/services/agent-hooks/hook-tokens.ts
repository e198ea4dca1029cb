import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * Each terminal's hook secret (docs/contract.md#agent-hooks): an HMAC of its id under one key kept in CAO_HOME. Only
 * that agent's environment gets it; another terminal's secret does not open this one, and nothing per terminal needs
 * storing, so a restarted server still knows the secrets of agents it started before.
 */
export class HookTokens {
  private constructor(private readonly key: Buffer) {}

  /** The key from `file`, made (0600) when missing. A key that cannot be read or written lives in memory only. */
  static open(file: string, onVolatile: (error: unknown) => void = () => {}): HookTokens {
    try {
      const existing = fs.readFileSync(file);
      if (existing.length >= 32) return new HookTokens(existing);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") onVolatile(error);
    }
    const key = randomBytes(32);
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, key, { mode: 0o600, flag: "w" });
    } catch (error) {
      // Agents started now still get in; after a restart their hooks are refused (and they go on, fail-open).
      onVolatile(error);
    }
    return new HookTokens(key);
  }

  static inMemory(): HookTokens {
    return new HookTokens(randomBytes(32));
  }

  tokenFor(terminalId: string): string {
    return createHmac("sha256", this.key).update(terminalId).digest("base64url");
  }

  /** Constant time whatever `given` is. */
  verify(terminalId: string, given: string | undefined): boolean {
    if (typeof given !== "string") return false;
    const expected = Buffer.from(this.tokenFor(terminalId));
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}
