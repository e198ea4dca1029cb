import pino, { type Logger } from "pino";

export interface LoggerOptions {
  env?: Record<string, string | undefined>;
  name?: string;
}

/** pino, pretty on a terminal and JSON lines otherwise; the level comes from CAO_LOG_LEVEL (default info). */
export function createLogger(options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const level = env.CAO_LOG_LEVEL || "info";
  const base = { level, name: options.name ?? "cao" };
  if (process.stdout.isTTY && env.CAO_LOG_FORMAT !== "json") {
    return pino({ ...base, transport: { target: "pino-pretty", options: { colorize: true, ignore: "pid,hostname" } } });
  }
  return pino(base);
}
