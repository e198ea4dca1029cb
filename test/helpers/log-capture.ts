import { Writable } from "node:stream";
import pino, { type Logger } from "pino";

export interface LogLine {
  level: number;
  msg: string;
  plugin?: string;
  handler?: string;
  eventType?: string;
  [key: string]: unknown;
}

export interface CapturedLogs {
  logger: Logger;
  lines: LogLine[];
  warnings: () => LogLine[];
  infos: () => LogLine[];
}

/** A real pino logger whose JSON lines are kept in memory, so tests can assert on what was logged. */
export function captureLogs(level = "debug"): CapturedLogs {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  const logger = pino({ level }, stream);
  return {
    logger,
    lines,
    warnings: () => lines.filter((l) => l.level === 40),
    infos: () => lines.filter((l) => l.level === 30),
  };
}
